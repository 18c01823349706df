"""WhatsApp numbers (docs/whatsapp.md, WA-1): the tenant's connected
WhatsApp Business numbers, integrations.admin only.  Saving runs the
connect check against a fake Graph API before anything is stored; the
access token, app secret and verify token are sealed by the worker and
never returned; disconnecting needs ?confirm=true."""

import os

import pytest
import requests

import wahelp as wh
from fake_whatsapp import FakeWhatsApp, appsecret_proof
from wahelp import NUMBERS, HRX_SEAL_OVERHEAD
from resources import make_tenant, make_user, post, uniq, err


@pytest.fixture(scope="module")
def fake():
    with FakeWhatsApp() as f:
        yield f


@pytest.fixture(scope="module")
def hrx(tmp_path_factory, fake):
    h = wh.start(tmp_path_factory, fake)
    yield h
    wh.finish(h)


@pytest.fixture(autouse=True)
def clean_fake(fake):
    fake.reset()
    yield


@pytest.fixture(scope="module")
def admin(hrx):
    return hrx.login()


@pytest.fixture
def owner(hrx, admin):
    return make_tenant(hrx, admin)


def check_failed(r, reason, field):
    e = err(r, 422, "whatsapp_check_failed", field)
    assert e["reason"] == reason, e
    return e


# -- connecting ---------------------------------------------------------------

def test_wa1_none_before_anything(hrx, owner):
    r = owner.get(hrx.url(NUMBERS))
    assert r.status_code == 200, r.text
    assert r.json() == {"items": []}


def test_wa1_connect_shows_what_meta_says(hrx, owner, fake):
    got = wh.connect(hrx, owner, fake)
    assert got["nickname"] == "Tokyo recruiting"
    assert got["waba_id"] == fake.waba_id
    assert got["phone_number_id"] == fake.phone_number_id
    assert got["display_phone_number"] == fake.display_phone_number
    assert got["verified_name"] == fake.verified_name == "hrx 採用"
    assert got["quality_rating"] == "GREEN"
    assert got["unknown_senders"] == "candidate"
    assert got["connected_at"] and got["created_at"] and got["updated_at"]
    assert got["updated_by"] == owner.me["id"]
    assert got["secrets_set"] == {"access_token": True, "app_secret": True,
                                  "verify_token": True}
    assert got["webhook_url"].endswith("/webhooks/whatsapp/%d" % got["id"])
    assert owner.get(wh.number_url(hrx, got["id"])).json() == got
    assert owner.get(hrx.url(NUMBERS)).json() == {"items": [got]}

    # the two checks: the number, then the WABA's numbers; the token as a
    # Bearer header (never in a URL), the app secret proven
    names = [q.endpoint for q in fake.requests]
    assert names == ["phone_number", "waba_numbers"], names
    proof = appsecret_proof(fake.app_secret, fake.access_token)
    for q in fake.requests:
        assert q.path.startswith("/" + fake.version + "/")
        assert q.header("authorization") == "Bearer " + fake.access_token
        assert "access_token" not in q.query
        assert q.query["appsecret_proof"] == proof
    assert fake.requests[0].path == "/%s/%s" % (fake.version,
                                                fake.phone_number_id)
    assert fake.requests[1].path == "/%s/%s/phone_numbers" % (fake.version,
                                                              fake.waba_id)

    with hrx.db() as con:
        audit = con.execute("SELECT op, outcome FROM audit_log WHERE tenant_id"
                            " = ? AND object_type = 'whatsapp_number'",
                            (owner.tenant["id"],)).fetchall()
    assert [tuple(a) for a in audit] == [("whatsapp_number.set", "ok")]


def test_wa1_several_numbers_per_tenant(hrx, owner, fake):
    a = wh.connect(hrx, owner, fake)
    second = fake.add_number(fake.waba_id, name="hrx 大阪")
    b = wh.connect(hrx, owner, fake, nickname="Osaka",
                   phone_number_id=second, unknown_senders="contact")
    assert b["id"] != a["id"] and b["verified_name"] == "hrx 大阪"
    assert b["unknown_senders"] == "contact"
    got = owner.get(hrx.url(NUMBERS)).json()["items"]
    assert [n["id"] for n in got] == [a["id"], b["id"]]


def test_wa1_numbers_on_later_pages_of_the_waba(hrx, owner, fake):
    fake.page_size = 2
    for _ in range(4):
        fake.add_number(fake.waba_id)
    last = fake.add_number(fake.waba_id)
    got = wh.connect(hrx, owner, fake, phone_number_id=last)
    assert got["phone_number_id"] == last
    pages = fake.received("waba_numbers")
    assert len(pages) == 3
    assert "after" not in pages[0].query and pages[2].query["after"]


def test_wa1_secrets_are_sealed_and_never_returned(hrx, owner, fake):
    got = wh.connect(hrx, owner, fake)
    row = wh.stored(hrx, got["id"])
    for col, plain in (("access_token", fake.access_token),
                       ("app_secret", fake.app_secret),
                       ("verify_token", fake.verify_token)):
        blob = row[col]
        assert isinstance(blob, bytes)
        assert len(blob) == len(plain.encode()) + HRX_SEAL_OVERHEAD, col
        assert plain.encode() not in blob
    text = (owner.get(hrx.url(NUMBERS)).text + str(got)
            + owner.get(wh.number_url(hrx, got["id"])).text)
    for plain in (fake.access_token, fake.app_secret, fake.verify_token):
        assert plain not in text
    for name in ("hrx.shm", "hrx.db", "hrx.db-wal"):
        path = hrx.path(name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            for plain in (fake.access_token, fake.app_secret,
                          fake.verify_token):
                assert plain.encode() not in data, name


def test_wa1_first_connect_needs_every_secret(hrx, owner, fake):
    for name in ("access_token", "app_secret", "verify_token"):
        r = owner.post(hrx.url(NUMBERS), json=wh.body(fake, **{name: None}))
        e = err(r, 400, "required", name)
        assert name in e["message"]
    assert wh.stored_of(hrx, owner.tenant["id"]) == []
    assert fake.requests == []


def test_wa1_update_keeps_secrets_left_out(hrx, owner, fake):
    got = wh.connect(hrx, owner, fake)
    fake.requests.clear()
    r = owner.put(wh.number_url(hrx, got["id"]),
                  json={"nickname": "renamed", "waba_id": fake.waba_id,
                        "phone_number_id": fake.phone_number_id},
                  timeout=30)
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["nickname"] == "renamed" and new["id"] == got["id"]
    assert new["unknown_senders"] == "candidate"
    # the check ran again with the stored token and app secret
    assert [q.endpoint for q in fake.requests] == ["phone_number",
                                                   "waba_numbers"]
    assert (fake.requests[0].header("authorization")
            == "Bearer " + fake.access_token)
    assert fake.requests[0].query["appsecret_proof"] == appsecret_proof(
        fake.app_secret, fake.access_token)

    # a new phone number id re-seals the kept secrets to it
    other = fake.add_number(fake.waba_id)
    r = owner.put(wh.number_url(hrx, got["id"]),
                  json={"nickname": "moved", "waba_id": fake.waba_id,
                        "phone_number_id": other}, timeout=30)
    assert r.status_code == 200, r.text
    r = owner.put(wh.number_url(hrx, got["id"]),
                  json={"nickname": "again", "waba_id": fake.waba_id,
                        "phone_number_id": other,
                        "unknown_senders": "contact"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["unknown_senders"] == "contact"
    assert r.json()["phone_number_id"] == other


# -- the check refuses: nothing stored, the field named ------------------------

def refused(hrx, owner, fake, reason, field, **over):
    tid = owner.tenant["id"]
    before = wh.stored_of(hrx, tid)
    r = owner.post(hrx.url(NUMBERS), json=wh.body(fake, **over), timeout=30)
    e = check_failed(r, reason, field)
    assert wh.stored_of(hrx, tid) == before
    return e


def test_wa1_wrong_access_token(hrx, owner, fake):
    e = refused(hrx, owner, fake, "access_token_invalid", "access_token",
                access_token="EAAnot-a-token")
    assert "access token" in e["message"]


def test_wa1_wrong_app_secret(hrx, owner, fake):
    e = refused(hrx, owner, fake, "app_secret_wrong", "app_secret",
                app_secret="0" * 32)
    assert "app secret" in e["message"]
    assert fake.received("waba_numbers") == []


def test_wa1_unknown_phone_number_id(hrx, owner, fake):
    refused(hrx, owner, fake, "phone_number_not_found", "phone_number_id",
            phone_number_id="1000000000000001")


def test_wa1_number_of_another_waba(hrx, owner, fake):
    other_waba = fake.add_waba()
    fake.tokens[fake.access_token]["wabas"].add(other_waba)
    e = refused(hrx, owner, fake, "phone_number_not_in_waba",
                "phone_number_id", waba_id=other_waba)
    assert "WhatsApp Business Account" in e["message"]


def test_wa1_waba_the_token_cannot_read(hrx, owner, fake):
    foreign = fake.add_waba()
    refused(hrx, owner, fake, "waba_not_found", "waba_id", waba_id=foreign)


def test_wa1_token_without_permission(hrx, owner, fake):
    fake.tokens[fake.access_token]["perm"] = False
    refused(hrx, owner, fake, "access_token_no_permission", "access_token")


def test_wa1_phone_number_taken_by_another_tenant(hrx, admin, fake):
    a = make_tenant(hrx, admin)
    b = make_tenant(hrx, admin)
    wh.connect(hrx, a, fake)
    r = b.post(hrx.url(NUMBERS), json=wh.body(fake), timeout=30)
    err(r, 409, "phone_number_taken", "phone_number_id")
    assert wh.stored_of(hrx, b.tenant["id"]) == []
    # nor twice in one tenant
    r = a.post(hrx.url(NUMBERS), json=wh.body(fake), timeout=30)
    err(r, 409, "phone_number_taken", "phone_number_id")
    assert len(wh.stored_of(hrx, a.tenant["id"])) == 1


def test_wa1_refusal_keeps_a_working_number(hrx, owner, fake):
    good = wh.connect(hrx, owner, fake)
    row = wh.stored(hrx, good["id"])
    r = owner.put(wh.number_url(hrx, good["id"]),
                  json=wh.body(fake, app_secret="f" * 32), timeout=30)
    check_failed(r, "app_secret_wrong", "app_secret")
    assert wh.stored(hrx, good["id"]) == row
    assert owner.get(wh.number_url(hrx, good["id"])).json() == good


@pytest.mark.parametrize("how", ["500", "429", "throttled"])
def test_wa1_provider_down_is_502(hrx, owner, fake, how):
    if how == "500":
        fake.fail_next("phone_number", 1, 500)
    elif how == "429":
        fake.fail_next("waba_numbers", 1, 429)
    else:
        fake.fail_next("phone_number", 1, 400, code=80007,
                       message="(#80007) Rate limit issues")
    r = owner.post(hrx.url(NUMBERS), json=wh.body(fake), timeout=30)
    e = err(r, 502, "whatsapp_unreachable")
    assert "WhatsApp" in e["message"]
    assert wh.stored_of(hrx, owner.tenant["id"]) == []


def test_wa1_provider_stalls_is_502_within_the_timeout(hrx, owner, fake):
    fake.stall_next("phone_number", 1, 15)
    r = owner.post(hrx.url(NUMBERS), json=wh.body(fake), timeout=40)
    err(r, 502, "whatsapp_unreachable")
    assert wh.stored_of(hrx, owner.tenant["id"]) == []
    assert owner.get(hrx.url("/api/v1/health"), timeout=5).status_code == 200


# -- input, permission, isolation ---------------------------------------------

BAD = [
    ({"nickname": None}, "required", "nickname"),
    ({"waba_id": None}, "required", "waba_id"),
    ({"phone_number_id": "1065x40352"}, "invalid_value", "phone_number_id"),
    ({"phone_number_id": 106540352242922}, "invalid_type", "phone_number_id"),
    ({"waba_id": "1" * 33}, "invalid_length", "waba_id"),
    ({"app_secret": ""}, "invalid_length", "app_secret"),
    ({"access_token": "a b"}, "invalid_value", "access_token"),
    ({"verify_token": "short"}, "invalid_length", "verify_token"),
    ({"verify_token": "é" * 10}, "invalid_value", "verify_token"),
    ({"unknown_senders": "ignore"}, "invalid_value", "unknown_senders"),
    ({"quality_rating": "GREEN"}, "unknown_field", "quality_rating"),
]


@pytest.mark.parametrize("over,code,field", BAD,
                         ids=["%s-%s" % (c, f) for _, c, f in BAD])
def test_wa1_bad_input_names_the_field(hrx, owner, fake, over, code, field):
    b = wh.body(fake)
    b.update(over)
    b = {k: v for k, v in b.items() if v is not None}
    r = owner.post(hrx.url(NUMBERS), json=b)
    e = err(r, 400, code, field)
    assert field in e["message"]
    assert wh.stored_of(hrx, owner.tenant["id"]) == []
    assert fake.requests == []


def test_wa1_integrations_admin_only(hrx, owner, fake):
    others = post(hrx, owner, "roles", {"name": uniq("others"), "permissions": [
        "candidates.operate_other", "bulk_actions.manage", "templates.manage",
        "messages.view_reply", "campaigns.manage", "users.admin"]})["id"]
    integ = post(hrx, owner, "roles", {"name": uniq("integ"),
                                       "permissions": ["integrations.admin"]})["id"]
    got = wh.connect(hrx, owner, fake)
    fake.requests.clear()
    url = wh.number_url(hrx, got["id"])
    nobody = make_user(hrx, owner, role_id=others)
    for r in (nobody.get(hrx.url(NUMBERS)), nobody.get(url),
              nobody.post(hrx.url(NUMBERS), json=wh.body(fake)),
              nobody.put(url, json=wh.body(fake)),
              nobody.delete(url + "?confirm=true")):
        e = err(r, 403, "forbidden")
        assert "integrations.admin" in e["message"]
    assert fake.requests == []

    who = make_user(hrx, owner, role_id=integ)
    second = fake.add_number(fake.waba_id)
    n = wh.connect(hrx, who, fake, phone_number_id=second)
    assert n["updated_by"] == who.me["id"]

    err(requests.get(hrx.url(NUMBERS), timeout=5), 401, "unauthenticated")
    no_csrf = requests.Session()
    no_csrf.cookies.update(owner.cookies)
    err(no_csrf.post(hrx.url(NUMBERS), json=wh.body(fake)), 403,
        "csrf_failed")
    err(no_csrf.delete(url + "?confirm=true"), 403, "csrf_failed")


def test_wa1_other_tenants_numbers_are_404(hrx, admin, fake):
    a = make_tenant(hrx, admin)
    b = make_tenant(hrx, admin)
    got = wh.connect(hrx, a, fake)
    url = wh.number_url(hrx, got["id"])
    assert b.get(hrx.url(NUMBERS)).json() == {"items": []}
    err(b.get(url), 404, "not_found")
    err(b.put(url, json=wh.body(fake), timeout=30), 404, "not_found")
    err(b.delete(url + "?confirm=true"), 404, "not_found")
    err(a.get(wh.number_url(hrx, got["id"] + 1000)), 404, "not_found")
    assert a.get(url).json() == got


def test_openapi_lists_the_whatsapp_routes():
    import json
    from hrx import TOP
    spec = json.load(open(os.path.join(TOP, "docs", "openapi.json")))
    assert set(spec["paths"][NUMBERS]) >= {"get", "post"}
    assert set(spec["paths"][NUMBERS + "/{id}"]) >= {"get", "put", "delete"}


# -- disconnecting ------------------------------------------------------------

def test_wa1_disconnect_needs_confirmation(hrx, owner, fake):
    got = wh.connect(hrx, owner, fake)
    url = wh.number_url(hrx, got["id"])
    for q in ("", "?confirm=false", "?confirm=1"):
        e = err(owner.delete(url + q), 400, "confirmation_required",
                "confirm")
        assert "webhook" in e["message"] and "sent" in e["message"]
    assert wh.stored(hrx, got["id"]) is not None
    r = owner.delete(url + "?confirm=true")
    assert r.status_code == 204, r.text
    assert wh.stored(hrx, got["id"]) is None
    err(owner.get(url), 404, "not_found")
    err(owner.delete(url + "?confirm=true"), 404, "not_found")
    # and the number can be connected again
    wh.connect(hrx, owner, fake)
