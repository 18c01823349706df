"""LINE settings (docs/line.md, LN-1, LN-10): GET/PUT/DELETE
/api/v1/settings/line, integrations.admin only.  PUT runs the connect
check against a fake LINE before anything is stored; secrets are sealed
by the worker and never returned."""

import os

import pytest
import requests

import linehelp as lh
from fake_line import FakeLine
from linehelp import SETTINGS, HRX_SEAL_OVERHEAD
from resources import make_tenant, make_user, post, uniq, err, make_candidate


@pytest.fixture(scope="module")
def fake():
    with FakeLine() as f:
        yield f


@pytest.fixture(scope="module")
def hrx(tmp_path_factory, fake):
    h = lh.start(tmp_path_factory, fake)
    yield h
    lh.finish(h)


@pytest.fixture(autouse=True)
def clean_fake(fake):
    fake.reset()
    yield


@pytest.fixture(scope="module")
def admin(hrx):
    return hrx.login()


@pytest.fixture
def owner(hrx, admin):
    """A tenant of its own per test; its owner holds every permission."""
    return make_tenant(hrx, admin)


def check_failed(r, reason, field):
    e = err(r, 422, "line_check_failed", field)
    assert e["reason"] == reason, e
    return e


# -- connecting ---------------------------------------------------------------

def test_ln1_disconnected_before_anything(hrx, owner):
    r = owner.get(hrx.url(SETTINGS))
    assert r.status_code == 200, r.text
    got = r.json()
    tid = owner.tenant["id"]
    assert got["state"] == "disconnected"
    for k in ("channel_id", "login_channel_id", "bot_basic_id", "bot_name",
              "connected_at", "updated_at", "updated_by"):
        assert got[k] is None, (k, got)
    assert got["secrets_set"] == {"channel_secret": False,
                                  "access_token": False,
                                  "login_channel_secret": False}
    assert got["linked_candidates"] == 0
    assert got["webhook_url"].endswith("/webhooks/line/%d" % tid)
    assert got["webhook_url"].startswith(("http://", "https://"))
    assert got["callback_url"].endswith("/line/callback")


def test_ln1_connect_ok_gives_the_bot_and_the_urls(hrx, owner, fake):
    tid = owner.tenant["id"]
    got = lh.connect(hrx, owner, fake)
    assert got["channel_id"] == fake.channel_id
    assert got["login_channel_id"] == fake.login_channel_id
    assert got["bot_basic_id"] == fake.bot_basic_id
    assert got["bot_name"] == fake.bot_name
    assert got["connected_at"] and got["updated_at"]
    assert got["updated_by"] == owner.me["id"]
    assert got["secrets_set"] == {"channel_secret": True,
                                  "access_token": True,
                                  "login_channel_secret": True}
    assert got["webhook_url"].endswith("/webhooks/line/%d" % tid)
    assert got["callback_url"].endswith("/line/callback")
    assert owner.get(hrx.url(SETTINGS)).json() == got

    # the three checks, in order, with what they need
    names = [q.endpoint for q in fake.requests]
    assert names == ["verify", "access_token", "bot_info"], names
    assert fake.received("verify")[0].form["access_token"] == fake.access_token
    form = fake.received("access_token")[0].form
    assert form["client_id"] == fake.channel_id
    assert form["client_secret"] == fake.channel_secret
    assert form["grant_type"] == "client_credentials"
    assert (fake.received("bot_info")[0].header("authorization")
            == "Bearer " + fake.access_token)

    row = lh.stored(hrx, tid)
    assert row["state"] == "connected"
    with hrx.db() as con:
        audit = con.execute("SELECT op, outcome FROM audit_log WHERE tenant_id"
                            " = ? AND object_type = 'line_settings'",
                            (tid,)).fetchall()
    assert [tuple(a) for a in audit] == [("line_settings.set", "ok")]


def test_ln1_secrets_are_sealed_and_never_returned(hrx, owner, fake):
    tid = owner.tenant["id"]
    got = lh.connect(hrx, owner, fake)
    row = lh.stored(hrx, tid)
    for col, plain in (("channel_secret", fake.channel_secret),
                       ("access_token", fake.access_token),
                       ("login_channel_secret", fake.login_channel_secret)):
        blob = row[col]
        assert isinstance(blob, bytes)
        assert len(blob) == len(plain.encode()) + HRX_SEAL_OVERHEAD, col
        assert plain.encode() not in blob
    text = owner.get(hrx.url(SETTINGS)).text + str(got)
    for plain in (fake.channel_secret, fake.access_token,
                  fake.login_channel_secret):
        assert plain not in text
    # never through the ring in clear, nor anywhere in the data files
    for name in ("hrx.shm", "hrx.db", "hrx.db-wal"):
        path = hrx.path(name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            for plain in (fake.channel_secret, fake.login_channel_secret):
                assert plain.encode() not in data, name


def test_ln1_secrets_left_out_are_kept(hrx, owner, fake):
    tid = owner.tenant["id"]
    lh.connect(hrx, owner, fake)
    fake.reset()
    got = lh.connect(hrx, owner, fake, channel_secret=None, access_token=None,
                     login_channel_secret=None)
    assert got["secrets_set"]["channel_secret"] is True
    # the check ran again, with the stored secrets
    assert fake.received("verify")[0].form["access_token"] == fake.access_token
    assert (fake.received("access_token")[0].form["client_secret"]
            == fake.channel_secret)
    assert lh.stored(hrx, tid)["state"] == "connected"


def test_ln1_first_connect_needs_every_secret(hrx, owner, fake):
    for name in ("channel_secret", "access_token", "login_channel_secret"):
        r = owner.put(hrx.url(SETTINGS), json=lh.body(fake, **{name: None}))
        e = err(r, 400, "required", name)
        assert name in e["message"]
    assert lh.stored(hrx, owner.tenant["id"]) is None
    assert fake.requests == []


# -- the check refuses: nothing stored ----------------------------------------

def refused(hrx, owner, fake, reason, field, **over):
    tid = owner.tenant["id"]
    before = lh.stored(hrx, tid)
    r = owner.put(hrx.url(SETTINGS), json=lh.body(fake, **over), timeout=30)
    e = check_failed(r, reason, field)
    assert lh.stored(hrx, tid) == before
    return e


def test_ln1_wrong_access_token(hrx, owner, fake):
    e = refused(hrx, owner, fake, "access_token_invalid", "access_token",
                access_token="not-a-token")
    assert "access token" in e["message"]
    assert owner.get(hrx.url(SETTINGS)).json()["state"] == "disconnected"


def test_ln1_access_token_of_another_channel(hrx, owner, fake):
    fake.add_access_token("token-of-another-channel", "1999999999")
    e = refused(hrx, owner, fake, "access_token_mismatch", "access_token",
                access_token="token-of-another-channel")
    assert "another channel" in e["message"]


def test_ln1_wrong_channel_secret(hrx, owner, fake):
    e = refused(hrx, owner, fake, "channel_secret_wrong", "channel_secret",
                channel_secret="0" * 32)
    assert "secret" in e["message"]
    assert fake.received("bot_info") == []


def test_ln1_swapped_channel_ids(hrx, owner, fake):
    e = refused(hrx, owner, fake, "channels_swapped", "channel_id",
                channel_id=fake.login_channel_id,
                login_channel_id=fake.channel_id)
    assert "swapped" in e["message"]
    # the same id twice: caught before LINE is asked
    fake.reset()
    e = refused(hrx, owner, fake, "channels_swapped", "login_channel_id",
                login_channel_id=fake.channel_id)
    assert "LINE Login channel id" in e["message"]
    assert fake.requests == []


def test_ln1_refusal_keeps_a_working_connection(hrx, owner, fake):
    tid = owner.tenant["id"]
    good = lh.connect(hrx, owner, fake)
    row = lh.stored(hrx, tid)
    refused(hrx, owner, fake, "channel_secret_wrong", "channel_secret",
            channel_secret="f" * 32)
    assert lh.stored(hrx, tid) == row
    assert owner.get(hrx.url(SETTINGS)).json() == good


@pytest.mark.parametrize("how", ["500", "closed", "429"])
def test_ln1_provider_down_is_502(hrx, owner, fake, how):
    if how == "500":
        fake.fail_next("verify", 1, 500)
    elif how == "429":
        fake.fail_next("access_token", 1, 429)
    else:
        fake.close_next("verify", 1)
    r = owner.put(hrx.url(SETTINGS), json=lh.body(fake), timeout=30)
    e = err(r, 502, "line_unreachable")
    assert "LINE" in e["message"]
    assert lh.stored(hrx, owner.tenant["id"]) is None


def test_ln1_provider_stalls_is_502_within_the_timeout(hrx, owner, fake):
    fake.stall_next("bot_info", 1, 15)
    r = owner.put(hrx.url(SETTINGS), json=lh.body(fake), timeout=40)
    err(r, 502, "line_unreachable")
    assert lh.stored(hrx, owner.tenant["id"]) is None
    # the event loop stayed free meanwhile: the worker answered others
    assert owner.get(hrx.url("/api/v1/health"), timeout=5).status_code == 200


# -- input, permission, isolation ---------------------------------------------

BAD = [
    ({"channel_id": None}, "required", "channel_id"),
    ({"login_channel_id": None}, "required", "login_channel_id"),
    ({"channel_id": "16500x0001"}, "invalid_value", "channel_id"),
    ({"channel_id": 1650000001}, "invalid_type", "channel_id"),
    ({"login_channel_id": "1" * 33}, "invalid_length", "login_channel_id"),
    ({"channel_secret": ""}, "invalid_length", "channel_secret"),
    ({"channel_secret": "a b"}, "invalid_value", "channel_secret"),
    ({"access_token": "x" * 1025}, "invalid_length", "access_token"),
    ({"login_channel_secret": "é" * 10}, "invalid_value",
     "login_channel_secret"),
    ({"bot_name": "mine"}, "unknown_field", "bot_name"),
]


@pytest.mark.parametrize("over,code,field", BAD,
                         ids=["%s-%s" % (c, f) for _, c, f in BAD])
def test_ln1_bad_input_names_the_field(hrx, owner, fake, over, code, field):
    b = lh.body(fake)
    b.update(over)
    b = {k: v for k, v in b.items() if v is not None}
    r = owner.put(hrx.url(SETTINGS), json=b)
    e = err(r, 400, code, field)
    assert field in e["message"]
    assert lh.stored(hrx, owner.tenant["id"]) is None
    assert fake.requests == []


def test_ln1_integrations_admin_only(hrx, owner, fake):
    others = post(hrx, owner, "roles", {"name": uniq("others"), "permissions": [
        "candidates.operate_other", "bulk_actions.manage", "templates.manage",
        "messages.view_reply", "campaigns.manage", "users.admin"]})["id"]
    integ = post(hrx, owner, "roles", {"name": uniq("integ"),
                                       "permissions": ["integrations.admin"]})["id"]
    nobody = make_user(hrx, owner, role_id=others)
    for r in (nobody.get(hrx.url(SETTINGS)),
              nobody.put(hrx.url(SETTINGS), json=lh.body(fake)),
              nobody.put(hrx.url(SETTINGS), json={"bogus": 1}),
              nobody.delete(hrx.url(SETTINGS)),
              nobody.get(hrx.url(lh.UNLINKED))):
        e = err(r, 403, "forbidden")
        assert "integrations.admin" in e["message"]
    assert fake.requests == []
    assert lh.stored(hrx, owner.tenant["id"]) is None

    who = make_user(hrx, owner, role_id=integ)
    got = lh.connect(hrx, who, fake)
    assert got["updated_by"] == who.me["id"]

    err(requests.get(hrx.url(SETTINGS), timeout=5), 401, "unauthenticated")
    err(requests.delete(hrx.url(SETTINGS), timeout=5), 401, "unauthenticated")
    no_csrf = requests.Session()
    no_csrf.cookies.update(owner.cookies)
    err(no_csrf.put(hrx.url(SETTINGS), json=lh.body(fake)), 403, "csrf_failed")
    err(no_csrf.delete(hrx.url(SETTINGS)), 403, "csrf_failed")


def test_ln1_tenants_are_isolated(hrx, admin, fake):
    a = make_tenant(hrx, admin)
    b = make_tenant(hrx, admin)
    got_a = lh.connect(hrx, a, fake)
    got_b = b.get(hrx.url(SETTINGS)).json()
    assert got_b["state"] == "disconnected"
    assert got_b["webhook_url"] != got_a["webhook_url"]
    # b's delete and its linked candidates are b's own
    cid = make_candidate(hrx, a)
    lh.link(hrx, cid, "U" + os.urandom(16).hex())
    assert b.get(hrx.url(SETTINGS)).json()["linked_candidates"] == 0
    assert b.delete(hrx.url(SETTINGS)).status_code == 204
    assert a.get(hrx.url(SETTINGS)).json() == dict(got_a, linked_candidates=1)
    assert lh.stored(hrx, b.tenant["id"]) is None


def test_openapi_lists_the_line_routes():
    import json
    from hrx import TOP
    spec = json.load(open(os.path.join(TOP, "docs", "openapi.json")))
    assert set(spec["paths"][SETTINGS]) >= {"get", "put", "delete"}
    assert "get" in spec["paths"][lh.UNLINKED]


# -- disconnecting (LN-10) ----------------------------------------------------

def test_ln10_disconnect_refused_while_a_candidate_is_linked(hrx, owner, fake):
    tid = owner.tenant["id"]
    lh.connect(hrx, owner, fake)
    c1 = make_candidate(hrx, owner)
    c2 = make_candidate(hrx, owner)
    lh.link(hrx, c1, "U" + os.urandom(16).hex())
    assert owner.get(hrx.url(SETTINGS)).json()["linked_candidates"] == 1

    e = err(owner.delete(hrx.url(SETTINGS)), 409, "line_in_use")
    assert e["message"].startswith("1 candidate is linked"), e
    lh.link(hrx, c2, "U" + os.urandom(16).hex())
    e = err(owner.delete(hrx.url(SETTINGS)), 409, "line_in_use")
    assert e["message"].startswith("2 candidates are linked"), e
    assert lh.stored(hrx, tid)["state"] == "connected"

    # after the candidates are deleted it can
    for cid in (c1, c2):
        r = owner.delete(hrx.url("/api/v1/candidates/%d" % cid))
        assert r.status_code == 204, r.text
    assert owner.get(hrx.url(SETTINGS)).json()["linked_candidates"] == 0
    r = owner.delete(hrx.url(SETTINGS))
    assert r.status_code == 204, r.text
    assert lh.stored(hrx, tid) is None
    got = owner.get(hrx.url(SETTINGS)).json()
    assert got["state"] == "disconnected"
    assert got["secrets_set"]["channel_secret"] is False

    with hrx.db() as con:
        audit = con.execute("SELECT op, outcome FROM audit_log WHERE tenant_id"
                            " = ? AND op = 'line.disconnect' ORDER BY id",
                            (tid,)).fetchall()
    assert [tuple(a) for a in audit] == [
        ("line.disconnect", "rejected:line_in_use"),
        ("line.disconnect", "rejected:line_in_use"),
        ("line.disconnect", "ok")]


def test_ln10_unlinked_candidates_do_not_block(hrx, owner, fake):
    lh.connect(hrx, owner, fake)
    make_candidate(hrx, owner)
    assert owner.delete(hrx.url(SETTINGS)).status_code == 204
    # and connecting again works
    lh.connect(hrx, owner, fake)
