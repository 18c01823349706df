"""Bad input gets a clear error naming the field, and changes nothing."""
import json
import uuid

import pytest
import requests


def count_users(hrx):
    with hrx.db() as con:
        return con.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def post_raw(admin, hrx, path, data, ctype="application/json"):
    return admin.post(hrx.url(path), data=data, headers={"Content-Type": ctype})


@pytest.mark.parametrize("body,code,field", [
    (b'{"email": "a@b.c", "name": ', "malformed_json", None),
    (b'{"email": "a@b.c", "email": "d@e.f", "name": "x"}', "malformed_json", None),
    (b'[1, 2]', "invalid_type", None),
    (b'{"email": "a@b.c", "name": "x", "colour": "red"}', "unknown_field", "colour"),
    (b'{"email": 42, "name": "x"}', "invalid_type", "email"),
    (b'{"name": "x"}', "required", "email"),
    (b'{"email": "no-at-sign", "name": "x"}', "invalid_value", "email"),
    (b'{"email": "a@b.c", "name": ""}', "invalid_length", "name"),
    (('{"email": "a@b.c", "name": "%s"}' % ("n" * 201)).encode(), "invalid_length", "name"),
    (b'{"email": "a@b.c", "name": "x", "status": "sleeping"}', "unknown_field", "status"),
    (b'{"email": "a@b.c", "name": "x", "role_id": "1"}', "invalid_type", "role_id"),
])
def test_user_create_rejects(hrx, admin, body, code, field):
    before = count_users(hrx)
    r = post_raw(admin, hrx, "/api/v1/users", body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert err["field"] == field
    assert err["message"]
    assert count_users(hrx) == before


def test_unknown_role_is_not_found_and_changes_nothing(hrx, admin):
    before = count_users(hrx)
    r = admin.post(hrx.url("/api/v1/users"),
                   json={"email": "r-%s@x.io" % uuid.uuid4().hex[:8], "name": "x", "role_id": 999999})
    assert r.status_code == 404 and r.json()["error"]["field"] == "role_id"
    assert count_users(hrx) == before


def test_wrong_content_type_is_415(hrx, admin):
    r = post_raw(admin, hrx, "/api/v1/users", b"email=a@b.c", "application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"


def test_body_over_the_limit_is_413(hrx, admin):
    before = count_users(hrx)
    big = json.dumps({"email": "a@b.c", "name": "x" * (2 << 20)}).encode()
    r = post_raw(admin, hrx, "/api/v1/users", big)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    assert count_users(hrx) == before


def test_chunked_body_over_the_limit_is_413(hrx, admin):
    def gen():
        yield b'{"email": "a@b.c", "name": "'
        for _ in range(300):
            yield b"x" * 8192
        yield b'"}'
    r = admin.post(hrx.url("/api/v1/users"), data=gen(),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_body_spilled_to_a_temp_file_is_read_whole(make_hrx):
    """A body bigger than client_body_buffer_size is written by nginx to a
    temp file; the module must read it from there."""
    h = make_hrx(extra_conf="client_body_buffer_size 1k;")
    h.start()
    s = h.login()
    email = "spill-%s@example.com" % uuid.uuid4().hex[:8]
    body = b"{" + b" " * 20000 + ('"email": "%s", "name": "Spilled"}' % email).encode()
    r = s.post(h.url("/api/v1/users"), data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["email"] == email
    assert not h.log_problems()


def test_unknown_route_and_wrong_method(hrx, admin):
    r = admin.get(hrx.url("/api/v1/nothing-here"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = admin.put(hrx.url("/api/v1/health"), json={})
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]
    assert admin.get(hrx.url("/api/v1/users/abc")).status_code == 404
    assert admin.get(hrx.url("/api/v1/users/0")).status_code == 404
    assert admin.get(hrx.url("/api/v1/users/99999999999999999999")).status_code == 404


def test_unauthenticated_requests_are_401(hrx):
    for method, path in (("GET", "/api/v1/users"), ("POST", "/api/v1/users"),
                         ("GET", "/api/v1/tokens"), ("GET", "/api/v1/tenant")):
        r = requests.request(method, hrx.url(path), json={})
        assert r.status_code == 401, (method, path)
        assert r.json()["error"]["code"] == "unauthenticated"


def test_login_input_is_validated(hrx):
    r = requests.post(hrx.url("/api/v1/auth/login"), json={"email": "x@y.z"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "password"
    r = requests.post(hrx.url("/api/v1/auth/login"),
                      json={"email": "x@y.z", "password": "p" * 2000})
    assert r.status_code == 400 and r.json()["error"]["field"] == "password"
