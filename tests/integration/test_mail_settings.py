"""Mail settings (docs/bulk-actions.md): GET/PUT /api/v1/settings/mail,
integrations.admin only.  The SMTP password is write-only: sealed by the
worker before it enters the ring, stored sealed, never returned."""

import os

import pytest
import requests

from resources import make_tenant, make_user, post, uniq, err

URL = "/api/v1/settings/mail"
PASSWORD = "s3cret-Passw0rd-%s" % os.urandom(6).hex()
HRX_SEAL_OVERHEAD = 28      # nonce 12 + tag 16 (shm/hrx_crypto.h)

SMTP = {"transport": "smtp", "smtp_host": "mail.acme.test", "smtp_port": 587,
        "smtp_security": "starttls", "smtp_username": "recruit",
        "smtp_password": PASSWORD, "from_email": "recruit@acme.test",
        "from_name": "採用チーム", "reply_to": "reply@acme.test"}


@pytest.fixture(scope="module")
def owner(hrx):
    """A tenant of its own; its owner has the built-in admin role (every
    permission, integrations.admin included)."""
    return make_tenant(hrx, hrx.login())


def stored(hrx, tenant_id):
    with hrx.db() as con:
        r = con.execute("SELECT * FROM mail_settings WHERE tenant_id = ?",
                        (tenant_id,)).fetchone()
        return dict(r) if r else None


def put(hrx, sess, body, status=200):
    r = sess.put(hrx.url(URL), json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_defaults_before_anything_is_set(hrx, owner):
    r = owner.get(hrx.url(URL))
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    assert r.json() == {
        "transport": "file", "smtp_host": None, "smtp_port": None,
        "smtp_security": None, "smtp_username": None, "password_set": False,
        "from_email": None, "from_name": None, "reply_to": None,
        "updated_at": None, "updated_by": None}


def test_put_smtp_then_read_back_without_the_password(hrx, admin):
    sess = make_tenant(hrx, admin)
    r = sess.put(hrx.url(URL), json=SMTP)
    assert r.status_code == 200, r.text
    assert PASSWORD not in r.text
    got = r.json()
    assert "smtp_password" not in got
    want = {k: v for k, v in SMTP.items() if k != "smtp_password"}
    assert {k: got[k] for k in want} == want
    assert got["password_set"] is True
    assert got["updated_by"] == sess.me["id"] and got["updated_at"]

    r = sess.get(hrx.url(URL))
    assert r.status_code == 200 and PASSWORD not in r.text
    assert r.json() == got


def test_password_is_stored_sealed_and_never_in_the_ring(hrx, admin):
    sess = make_tenant(hrx, admin)
    put(hrx, sess, SMTP)
    row = stored(hrx, sess.tenant["id"])
    blob = row["smtp_password"]
    assert isinstance(blob, bytes)
    assert len(blob) == len(PASSWORD.encode()) + HRX_SEAL_OVERHEAD
    assert PASSWORD.encode() not in blob
    # the command ring is a file-backed mapping: the plaintext never was
    # in it (nor anywhere else in the data directory's files)
    for name in ("hrx.shm", "hrx.db", "hrx.db-wal"):
        path = hrx.path(name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                assert PASSWORD.encode() not in f.read(), name

    # sealed afresh each time: the same password never gives the same bytes
    put(hrx, sess, SMTP)
    again = stored(hrx, sess.tenant["id"])["smtp_password"]
    assert again != blob and len(again) == len(blob)


def test_password_absent_keeps_null_clears_string_replaces(hrx, admin):
    sess = make_tenant(hrx, admin)
    tid = sess.tenant["id"]
    put(hrx, sess, SMTP)
    first = stored(hrx, tid)["smtp_password"]

    keep = {k: v for k, v in SMTP.items() if k != "smtp_password"}
    keep["smtp_host"] = "other.acme.test"
    got = put(hrx, sess, keep)
    assert got["password_set"] is True and got["smtp_host"] == "other.acme.test"
    assert stored(hrx, tid)["smtp_password"] == first

    got = put(hrx, sess, dict(keep, smtp_password="another one"))
    assert got["password_set"] is True
    second = stored(hrx, tid)["smtp_password"]
    assert second != first and len(second) == len("another one") + HRX_SEAL_OVERHEAD

    got = put(hrx, sess, dict(keep, smtp_password=None))
    assert got["password_set"] is False
    assert stored(hrx, tid)["smtp_password"] is None


def test_put_replaces_the_whole_settings(hrx, admin):
    sess = make_tenant(hrx, admin)
    put(hrx, sess, SMTP)
    got = put(hrx, sess, {"transport": "file", "from_email": "hr@acme.test"})
    assert got["transport"] == "file" and got["from_email"] == "hr@acme.test"
    for k in ("smtp_host", "smtp_port", "smtp_security", "smtp_username",
              "from_name", "reply_to"):
        assert got[k] is None, (k, got)
    # the password was not mentioned: kept
    assert got["password_set"] is True


BAD = [
    ({"from_email": "a@b.test"}, "required", "transport"),
    ({"transport": None, "from_email": "a@b.test"}, "required", "transport"),
    ({"transport": "pigeon", "from_email": "a@b.test"}, "invalid_value", "transport"),
    ({"transport": 1, "from_email": "a@b.test"}, "invalid_type", "transport"),
    ({"transport": "file"}, "required", "from_email"),
    ({"transport": "file", "from_email": "not an address"}, "invalid_value", "from_email"),
    ({"transport": "file", "from_email": "a@@b"}, "invalid_value", "from_email"),
    ({"transport": "file", "from_email": "a@b.test", "reply_to": "nope"},
     "invalid_value", "reply_to"),
    ({"transport": "file", "from_email": "a@b.test", "from_name": "x\r\nBcc: evil@x.test"},
     "invalid_value", "from_name"),
    ({"transport": "file", "from_email": "a@b.test", "from_name": "x" * 201},
     "invalid_length", "from_name"),
    ({"transport": "file", "from_email": "a@b.test", "bogus": 1}, "unknown_field", "bogus"),
    ({"transport": "file", "from_email": "a@b.test", "smtp_password": "p" * 513},
     "invalid_length", "smtp_password"),
    ({"transport": "file", "from_email": "a@b.test", "smtp_password": "é" * 300},
     "invalid_value", "smtp_password"),
    ({"transport": "file", "from_email": "a@b.test", "smtp_password": ""},
     "invalid_length", "smtp_password"),
    ({"transport": "file", "from_email": "a@b.test", "smtp_password": 1234},
     "invalid_type", "smtp_password"),
    (dict(SMTP, smtp_host=None), "required", "smtp_host"),
    (dict(SMTP, smtp_host="mail host"), "invalid_value", "smtp_host"),
    (dict(SMTP, smtp_host="h" * 254), "invalid_length", "smtp_host"),
    (dict(SMTP, smtp_port=None), "required", "smtp_port"),
    (dict(SMTP, smtp_port=0), "invalid_value", "smtp_port"),
    (dict(SMTP, smtp_port=65536), "invalid_value", "smtp_port"),
    (dict(SMTP, smtp_port="587"), "invalid_type", "smtp_port"),
    (dict(SMTP, smtp_port=587.5), "invalid_type", "smtp_port"),
    (dict(SMTP, smtp_security=None), "required", "smtp_security"),
    (dict(SMTP, smtp_security="ssl"), "invalid_value", "smtp_security"),
    (dict(SMTP, smtp_username="a\nb"), "invalid_value", "smtp_username"),
]


@pytest.mark.parametrize("body,code,field", BAD,
                         ids=["%s-%s" % (c, f) for _, c, f in BAD])
def test_bad_input_names_the_field_and_changes_nothing(hrx, owner, body, code, field):
    before = put(hrx, owner, {"transport": "file", "from_email": "keep@acme.test",
                              "smtp_password": "kept"})
    blob = stored(hrx, owner.tenant["id"])["smtp_password"]
    r = owner.put(hrx.url(URL), json=body)
    e = err(r, 400, code, field)
    assert field in e["message"]
    assert owner.get(hrx.url(URL)).json() == before
    assert stored(hrx, owner.tenant["id"])["smtp_password"] == blob


def test_bad_bodies(hrx, owner):
    r = owner.put(hrx.url(URL), data="transport=file",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    err(r, 415, "unsupported_media_type")
    r = owner.put(hrx.url(URL), data="{", headers={"Content-Type": "application/json"})
    err(r, 400, "malformed_json")
    r = owner.put(hrx.url(URL), json=[SMTP])
    err(r, 400, "invalid_type")
    err(owner.post(hrx.url(URL), json=SMTP), 405, "method_not_allowed")
    err(owner.patch(hrx.url(URL), json=SMTP), 405, "method_not_allowed")


def test_integrations_admin_only(hrx, owner):
    role = post(hrx, owner, "roles", {"name": uniq("integ"),
                                      "permissions": ["integrations.admin"]})["id"]
    others = post(hrx, owner, "roles", {"name": uniq("others"), "permissions": [
        "candidates.operate_other", "bulk_actions.manage", "templates.manage",
        "messages.view_reply", "campaigns.manage"]})["id"]
    nobody = make_user(hrx, owner, role_id=others)
    before = owner.get(hrx.url(URL)).json()

    e = err(nobody.get(hrx.url(URL)), 403, "forbidden")
    assert "integrations.admin" in e["message"]
    err(nobody.put(hrx.url(URL), json=SMTP), 403, "forbidden")
    # refused before the body is even looked at
    err(nobody.put(hrx.url(URL), json={"bogus": 1}), 403, "forbidden")
    assert owner.get(hrx.url(URL)).json() == before

    integ = make_user(hrx, owner, role_id=role)
    got = put(hrx, integ, dict(SMTP, from_email="integ@acme.test"))
    assert got["from_email"] == "integ@acme.test"
    assert got["updated_by"] == integ.me["id"]
    assert integ.get(hrx.url(URL)).json() == got


def test_authentication_and_csrf(hrx, owner):
    err(requests.get(hrx.url(URL), timeout=5), 401, "unauthenticated")
    err(requests.put(hrx.url(URL), json=SMTP, timeout=5), 401, "unauthenticated")
    before = owner.get(hrx.url(URL)).json()
    no_csrf = requests.Session()
    no_csrf.cookies.update(owner.cookies)
    err(no_csrf.put(hrx.url(URL), json=SMTP), 403, "csrf_failed")
    assert owner.get(hrx.url(URL)).json() == before


def test_tenants_are_isolated(hrx, admin):
    a = make_tenant(hrx, admin)
    b = make_tenant(hrx, admin)
    put(hrx, a, SMTP)
    # b sees its own (none), and its PUT does not touch a's
    assert b.get(hrx.url(URL)).json()["password_set"] is False
    put(hrx, b, {"transport": "file", "from_email": "b@b.test"})
    got_a = a.get(hrx.url(URL)).json()
    assert got_a["transport"] == "smtp" and got_a["from_email"] == SMTP["from_email"]
    assert stored(hrx, a.tenant["id"])["smtp_password"] is not None
    assert stored(hrx, b.tenant["id"])["smtp_password"] is None
    assert stored(hrx, b.tenant["id"])["from_email"] == "b@b.test"


def test_audited(hrx, admin):
    sess = make_tenant(hrx, admin)
    put(hrx, sess, SMTP)
    with hrx.db() as con:
        rows = con.execute("SELECT op, outcome, actor_id FROM audit_log"
                           " WHERE tenant_id = ? AND object_type = 'mail_settings'",
                           (sess.tenant["id"],)).fetchall()
    assert [tuple(r) for r in rows] == [("mail_settings.set", "ok", sess.me["id"])]
