"""Login, sessions, CSRF, API tokens: the first commands through the ring."""
import sqlite3
import uuid

import requests


def uniq(prefix="u"):
    return "%s-%s@example.com" % (prefix, uuid.uuid4().hex[:10])


def test_login_sets_a_strict_httponly_cookie_and_returns_csrf(hrx):
    r = requests.post(hrx.url("/api/v1/auth/login"),
                      json={"email": hrx.admin_email,
                            "password": hrx.admin_password})
    assert r.status_code == 200, r.text
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("hrx_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie          # plain http on loopback
    body = r.json()
    assert body["user"]["email"] == hrx.admin_email
    assert body["user"]["platform_admin"] is True
    assert "password_hash" not in body["user"]
    assert len(body["csrf_token"]) >= 40
    assert body["expires_at"].endswith("Z")


def test_session_is_stored_hashed_and_survives_reads(hrx, admin):
    r = admin.get(hrx.url("/api/v1/auth/session"))
    assert r.status_code == 200
    assert r.json()["user"]["email"] == hrx.admin_email
    token = admin.cookies["hrx_session"]
    with hrx.db() as con:
        hashes = [row[0] for row in con.execute("SELECT token_hash FROM sessions")]
    assert token not in hashes
    assert all(len(h) == 64 for h in hashes)


def test_secure_cookie_behind_tls_proxy(hrx):
    r = requests.post(hrx.url("/api/v1/auth/login"),
                      headers={"X-Forwarded-Proto": "https"},
                      json={"email": hrx.admin_email,
                            "password": hrx.admin_password})
    assert r.status_code == 200
    assert "Secure" in r.headers["Set-Cookie"]


def test_wrong_password_and_unknown_email_look_the_same(hrx):
    a = requests.post(hrx.url("/api/v1/auth/login"),
                      json={"email": hrx.admin_email, "password": "nope-nope-nope"})
    b = requests.post(hrx.url("/api/v1/auth/login"),
                      json={"email": uniq(), "password": "nope-nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()
    assert a.json()["error"]["code"] == "invalid_credentials"


def test_password_is_stored_as_scrypt_only(hrx):
    with hrx.db() as con:
        (h,) = con.execute("SELECT password_hash FROM users WHERE email = ?",
                           (hrx.admin_email,)).fetchone()
    assert h.startswith("scrypt$")
    assert hrx.admin_password not in h


def test_mutation_with_cookie_needs_csrf_token(hrx):
    s = hrx.login()
    csrf = s.headers.pop("X-CSRF-Token")
    r = s.post(hrx.url("/api/v1/tokens"), json={"name": "no csrf"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
    s.headers["X-CSRF-Token"] = csrf[:-2] + ("AA" if csrf[-2:] != "AA" else "BB")
    r = s.post(hrx.url("/api/v1/tokens"), json={"name": "bad csrf"})
    assert r.status_code == 403
    s.headers["X-CSRF-Token"] = csrf
    r = s.post(hrx.url("/api/v1/tokens"), json={"name": "good csrf"})
    assert r.status_code == 201, r.text


def test_logout_ends_the_session(hrx):
    s = hrx.login()
    assert s.get(hrx.url("/api/v1/auth/session")).status_code == 200
    token = s.cookies["hrx_session"]
    r = s.post(hrx.url("/api/v1/auth/logout"))
    assert r.status_code == 204
    assert "Max-Age=0" in r.headers.get("Set-Cookie", "")
    r = requests.get(hrx.url("/api/v1/auth/session"),
                     cookies={"hrx_session": token})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_api_token_is_shown_once_and_works_as_bearer(hrx, admin):
    r = admin.post(hrx.url("/api/v1/tokens"), json={"name": "ci robot"})
    assert r.status_code == 201, r.text
    tok = r.json()
    secret = tok["token"]
    assert secret.startswith("hrx_")
    assert tok["prefix"] == secret[:12]
    bearer = {"Authorization": "Bearer " + secret}
    # a bearer token needs no CSRF token: it is not sent by browsers on its own
    r = requests.post(hrx.url("/api/v1/tokens"), headers=bearer,
                      json={"name": "made by a token"})
    assert r.status_code == 201, r.text
    listed = requests.get(hrx.url("/api/v1/tokens"), headers=bearer).json()
    names = [t["name"] for t in listed["items"]]
    assert "ci robot" in names and "made by a token" in names
    assert all("token" not in t for t in listed["items"])
    with hrx.db() as con:
        stored = [r[0] for r in con.execute("SELECT token_hash FROM api_tokens")]
    assert secret not in stored
    r = admin.delete(hrx.url("/api/v1/tokens/%d" % tok["id"]))
    assert r.status_code == 204
    r = requests.get(hrx.url("/api/v1/tokens"), headers=bearer)
    assert r.status_code == 401


def test_bad_bearer_tokens_are_rejected(hrx):
    for value in ("Bearer hrx_" + "A" * 43, "Bearer", "Basic Zm9vOmJhcg==",
                  "Bearer " + "x" * 5000):
        r = requests.get(hrx.url("/api/v1/tokens"),
                         headers={"Authorization": value})
        assert r.status_code == 401, value


def test_expired_token_is_refused(hrx, admin):
    r = admin.post(hrx.url("/api/v1/tokens"),
                   json={"name": "past", "expires_at": "2020-01-01T00:00:00Z"})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "expires_at"
