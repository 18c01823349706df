"""LINE friend registration (SPEC LN-3, LN-4, LN-5; docs/line.md, "Friend
registration") end to end: a bulk action mails {line.friend_url}, the
candidate follows the link with a browser-like client through the fake
LINE Login (authorize -> callback -> token -> profile), hrx links the
LINE user to the candidate, and the pages say what happened.

One hrx and one fake LINE for the module; every test works in a tenant
of its own, connected to the fake's channels.  hrx_public_url and the
scheduler's --public-url are the real address, so the links in the mail
can be followed as they are.  Tests that change the fake (the user who
logs in, consent, the login secret, the id_token) put it back after."""

import base64
import hashlib
import hmac
import html.parser
import os
import re
import struct
import time
import urllib.parse

import pytest
import requests

import bulk
import cand
from bulk import World, MAIL_HOST, texts, now_ms, sched_args
from fake_line import FakeLine, new_user_id
from hrx import Hrx
from resources import uniq, email, make_tenant, db_write, err

CSP = "default-src 'none'; style-src 'unsafe-inline'"
EN = {"Accept-Language": "en-US,en;q=0.9"}
JA = {"Accept-Language": "ja,en-US;q=0.8"}

TOKEN_LINE_FRIEND = 4
TOKEN_FORM = 1


class LineHrx(Hrx):
    """hrx_public_url (nginx) is the real address here, like the
    scheduler's --public-url."""

    def write_conf(self):
        self.public_url = self.base
        super().write_conf()


@pytest.fixture(scope="module")
def line():
    with FakeLine() as f:
        yield f


@pytest.fixture(scope="module")
def h(tmp_path_factory, line):
    extra = ("        hrx_line_api_url %s;\n"
             "        hrx_line_login_url %s;\n"
             "        hrx_line_login_api_url %s;\n" % ((line.url,) * 3))
    h = LineHrx(tmp_path_factory.mktemp("hrx"), extra_conf=extra)
    h.scheduler_args = sched_args(public_url=h.base, mail_host=MAIL_HOST,
                                  retry_base_ms=200, max_attempts=3,
                                  line_api_url=line.url)
    h.start()
    yield h
    bulk.finish(h)


@pytest.fixture
def fake(line):
    """The module's fake LINE, put back as it was after the test."""
    saved = dict(user_id=line.user_id, consent=line.consent,
                 login_channel_secret=line.login_channel_secret,
                 id_token_patch=dict(line.id_token_patch))
    line.reset()
    yield line
    for k, v in saved.items():
        setattr(line, k, v)


@pytest.fixture
def w(h, fake):
    """A tenant of its own with LINE connected to the fake."""
    w = World(h)
    connect_line(h, w.owner, fake)
    return w


# -- LINE connected -------------------------------------------------------------

def seal(h, plain, aad):
    """hrx_seal() from the outside (shm/hrx_crypto.h): AES-256-GCM under
    HKDF-SHA256(master.key, "hrx secrets v1"), nonce | ciphertext | tag."""
    hkdf = pytest.importorskip("cryptography.hazmat.primitives.kdf.hkdf")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    aead = pytest.importorskip("cryptography.hazmat.primitives.ciphers.aead")
    key = hkdf.HKDF(hashes.SHA256(), 32, None, b"hrx secrets v1").derive(
        master_key(h))
    nonce = os.urandom(12)
    return nonce + aead.AESGCM(key).encrypt(nonce, plain.encode(),
                                            aad.encode())


def connect_line(h, owner, fake):
    """PUT /api/v1/settings/line with the fake's channels (the connect
    check runs against the fake); while that endpoint does not exist, the
    row it would store, sealed the documented way."""
    r = owner.put(h.url("/api/v1/settings/line"), json={
        "channel_id": fake.channel_id, "channel_secret": fake.channel_secret,
        "access_token": fake.access_token,
        "login_channel_id": fake.login_channel_id,
        "login_channel_secret": fake.login_channel_secret})
    if r.status_code not in (404, 405):
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "connected", r.text
        return
    t = owner.tenant["id"]
    db_write(h, "INSERT INTO line_settings (tenant_id, channel_id,"
             " channel_secret, access_token, login_channel_id,"
             " login_channel_secret, state, bot_basic_id, bot_name,"
             " connected_at, updated_at) VALUES (?, ?, ?, ?, ?, ?,"
             " 'connected', ?, ?, ?, ?)",
             (t, fake.channel_id,
              seal(h, fake.channel_secret, "line.channel_secret:%d" % t),
              seal(h, fake.access_token, "line.access_token:%d" % t),
              fake.login_channel_id,
              seal(h, fake.login_channel_secret,
                   "line.login_channel_secret:%d" % t),
              fake.bot_basic_id, fake.bot_name, now_ms(), now_ms()))


# -- tokens and states made from the outside ------------------------------------

def master_key(h):
    with open(h.path("master.key"), "rb") as f:
        return f.read()


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def token_key(h):
    hkdf = pytest.importorskip("cryptography.hazmat.primitives.kdf.hkdf")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    return hkdf.HKDF(hashes.SHA256(), 32, None,
                     b"hrx link tokens v1").derive(master_key(h))


def make_token(h, tenant, candidate, expires_at, kind=TOKEN_LINE_FRIEND,
               obj=0):
    """A link token in the format of shm/hrx_token.c (version 1)."""
    body = struct.pack(">BBqqqqQ", 1, kind, tenant, candidate, obj,
                       expires_at, int.from_bytes(os.urandom(8), "big"))
    mac = hmac.new(token_key(h), body, hashlib.sha256).digest()[:18]
    return b64url(body + mac)


def make_state(h, tenant, candidate, expires_at, nonce=None):
    """A login state in the format of ngx_http_hrx_line_login.c."""
    nonce = nonce or os.urandom(16)
    key = hmac.new(token_key(h), b"hrx line login state v1",
                   hashlib.sha256).digest()
    body = struct.pack(">Bqqq", 1, tenant, candidate, expires_at) + nonce
    return b64url(body + hmac.new(key, body, hashlib.sha256).digest()[:19])


# -- following links --------------------------------------------------------------

def friend_url(h, token):
    return h.url("/line/friend/" + token)


def follow(url, headers=EN):
    """What a phone's browser does: every redirect followed."""
    return requests.get(url, headers=headers, allow_redirects=True,
                        timeout=30)


def steps(h, url, headers=EN):
    """The flow one hop at a time: (the 302 of the link, the 302 of LINE's
    authorize page, the callback URL)."""
    r1 = requests.get(url, headers=headers, allow_redirects=False, timeout=10)
    assert r1.status_code == 302, (r1.status_code, r1.text)
    r2 = requests.get(r1.headers["Location"], allow_redirects=False,
                      timeout=10)
    assert r2.status_code == 302, (r2.status_code, r2.text)
    cb = r2.headers["Location"]
    assert cb.startswith(h.url("/line/callback?")), cb
    return r1, r2, cb


class Tags(html.parser.HTMLParser):
    """The URLs a page refers to, and tags a page of ours never has."""
    ALLOWED = {"html", "head", "meta", "title", "style", "body", "main", "h1",
               "p", "a"}

    def __init__(self):
        super().__init__()
        self.urls, self.unexpected = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.ALLOWED:
            self.unexpected.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "action", "srcset") or k.startswith("on"):
                self.urls.append(v or "")


def check_page(r, status, text, lang="en"):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in r.headers["Cache-Control"]
    assert '<html lang="%s">' % lang in r.text
    assert 'name="viewport"' in r.text                 # a phone's width
    assert "<script" not in r.text.lower()
    tags = Tags()
    tags.feed(r.text)
    assert not tags.unexpected, (tags.unexpected, r.text)
    for url in tags.urls:
        assert url.startswith("https://line.me/R/ti/p/"), r.text
    assert text in r.text, r.text


def candidate(h, sess, cid):
    r = sess.get(h.url("/api/v1/candidates/%d" % cid))
    assert r.status_code == 200, r.text
    return r.json()


def linked(h, cid):
    with h.db() as con:
        row = con.execute("SELECT line_user_id, line_linked_at FROM candidates"
                          " WHERE id = ?", (cid,)).fetchone()
    return tuple(row) if row else None


def token_for(w, cid, ttl_ms=7 * 86400000):
    return make_token(w.h, w.tid, cid, now_ms() + ttl_ms)


def link(w, fake, cid, user=None):
    """Candidate cid follows a valid link as LINE user user: the done
    page."""
    fake.user_id = user or new_user_id()
    r = follow(friend_url(w.h, token_for(w, cid)))
    check_page(r, 200, "Your LINE account is linked")
    assert linked(w.h, cid)[0] == fake.user_id
    return fake.user_id


def mails_by_recipient(w):
    out = {}
    for m in w.file_mails().values():
        plain, _ = texts(m)
        out[m["To"].addresses[0].addr_spec] = plain
    return out


LINK = re.compile(r"(http://127\.0\.0\.1:\d+/line/friend/[A-Za-z0-9_-]+)")


# -- LN-3: the link in mail ---------------------------------------------------------

def test_ln3_bulk_mail_carries_a_distinct_friend_link_per_candidate(w, fake):
    """A bulk action whose template has {line.friend_url} mails each
    candidate a link of its own (signed, 7 days); following one goes
    through LINE Login and links that candidate, and only that one."""
    addrs = [email("c") for _ in range(3)]
    cids = [w.cand(family_name="Sato", given_name=str(i), email=a)
            for i, a in enumerate(addrs)]
    tpl = w.template("LINE", "Hello {candidate.given_name},\n"
                     "register on LINE: {line.friend_url}\n")
    a = w.create(template_id=tpl)
    done = w.run(a["id"])
    assert done["status"] == "completed", done

    mails = bulk.wait_for(lambda: (lambda m: m if len(m) == 3 else None)(
        mails_by_recipient(w)), what="3 mails")
    links = {}
    for addr, cid in zip(addrs, cids):
        found = LINK.findall(mails[addr])
        assert len(found) == 1, mails[addr]
        links[cid] = found[0]
    assert len(set(links.values())) == 3
    for cid, url in links.items():
        # the token names its candidate, for 7 days
        raw = unb64url(url.rsplit("/", 1)[1])
        kind, tenant, c, obj, exp = struct.unpack(">xBqqqq", raw[:34])
        assert (kind, tenant, c, obj) == (TOKEN_LINE_FRIEND, w.tid, cid, 0)
        assert abs(exp - (now_ms() + 7 * 86400000)) < 120000

    # the second candidate follows its link
    fake.user_id = new_user_id()
    r = follow(links[cids[1]])
    check_page(r, 200, "Your LINE account is linked")
    assert 'href="https://line.me/R/ti/p/%40123abcde"' in r.text
    assert "Add friend" in r.text

    auth = fake.authorizations[-1]
    assert auth["response_type"] == "code"
    assert auth["client_id"] == fake.login_channel_id
    assert auth["redirect_uri"] == w.h.url("/line/callback")
    assert auth["scope"].split() == ["profile", "openid"]
    assert auth["bot_prompt"] == "aggressive"
    assert len(auth["nonce"]) >= 16 and auth["state"]
    tok = fake.received("token")[-1]
    assert tok.form["client_secret"] == fake.login_channel_secret
    assert tok.form["redirect_uri"] == w.h.url("/line/callback")

    c = candidate(w.h, w.owner, cids[1])
    assert c["line_user_id"] == fake.user_id
    assert c["line_friend"] is True
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", c["line_linked_at"])
    for other in (cids[0], cids[2]):
        c = candidate(w.h, w.owner, other)
        assert c["line_friend"] is False and c["line_linked_at"] is None


def test_ln3_link_state_is_fresh_per_visit(w, fake):
    """Two visits of one link: two states, two nonces; the state is not
    the link's token."""
    cid = w.cand(email=email("c"))
    url = friend_url(w.h, token_for(w, cid))
    seen = []
    for _ in range(2):
        r = requests.get(url, headers=EN, allow_redirects=False, timeout=10)
        assert r.status_code == 302
        assert r.headers["Referrer-Policy"] == "no-referrer"
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
            r.headers["Location"]).query))
        assert r.headers["Location"].startswith(fake.url +
                                                "/oauth2/v2.1/authorize?")
        seen.append((q["state"], q["nonce"]))
    assert seen[0] != seen[1]
    assert seen[0][0] not in url
    assert linked(w.h, cid) == (None, None)      # visiting writes nothing


def test_ln3_without_line_connected_the_variable_is_missing(h, fake):
    """A tenant without LINE: {line.friend_url} has no data, so the
    candidate fails with missing_variable (never a blank link)."""
    w = World(h)
    w.cand(email=email("c"))
    tpl = w.template("LINE", "register: {line.friend_url}")
    a = w.create(template_id=tpl)
    done = w.run(a["id"])
    assert done["status"] == "error", done
    [res] = w.results(a["id"])
    assert res["reason"] == "missing_variable:line.friend_url", res


def test_ln3_tampered_links_show_the_error_page(w, fake):
    cid = w.cand(email=email("c"))
    good = token_for(w, cid)
    flipped = good[:40] + ("A" if good[40] != "A" else "B") + good[41:]
    form = make_token(w.h, w.tid, cid, now_ms() + 86400000, kind=TOKEN_FORM,
                      obj=1)
    plus = good[:10] + "+" + good[11:]          # outside base64url
    for bad in (flipped, good[:-1], good + "A", "x", form,
                "%3Cscript%3E", plus, good + "/x"):
        assert bad != good
        r = requests.get(friend_url(w.h, bad), headers=EN,
                         allow_redirects=False, timeout=10)
        check_page(r, 404, "This link is not valid")
    assert fake.authorizations == []
    assert linked(w.h, cid) == (None, None)


def test_ln3_expired_link_shows_the_error_page(w, fake):
    cid = w.cand(email=email("c"))
    r = follow(friend_url(w.h, make_token(w.h, w.tid, cid, now_ms() - 1000)))
    check_page(r, 410, "This link has expired")
    r = follow(friend_url(w.h, make_token(w.h, w.tid, cid, now_ms() - 1000)),
               headers=JA)
    check_page(r, 410, "このリンクの有効期限が切れています", lang="ja")
    assert fake.authorizations == []
    assert linked(w.h, cid) == (None, None)


def test_ln3_link_of_a_deleted_candidate_is_not_valid(w, fake):
    cid = w.cand(email=email("c"))
    token = token_for(w, cid)
    r = w.owner.delete(w.h.url("/api/v1/candidates/%d" % cid))
    assert r.status_code == 204, r.text
    check_page(follow(friend_url(w.h, token)), 404, "This link is not valid")
    # a link of another tenant's candidate id names the wrong tenant
    other = World(w.h)
    oid = other.cand(email=email("c"))
    check_page(follow(friend_url(w.h, make_token(w.h, w.tid, oid,
                                                 now_ms() + 60000))),
               404, "This link is not valid")


def test_ln3_line_not_connected_shows_an_error_page(h, fake):
    w = World(h)
    cid = w.cand(email=email("c"))
    r = follow(friend_url(h, token_for(w, cid)))
    check_page(r, 503, "LINE registration is not available")
    assert fake.authorizations == []


def test_ln3_replayed_callback_says_already_used(w, fake):
    cid = w.cand(email=email("c"))
    fake.user_id = new_user_id()
    _, _, cb = steps(w.h, friend_url(w.h, token_for(w, cid)))
    r = requests.get(cb, headers=EN, timeout=30)
    check_page(r, 200, "Your LINE account is linked")
    assert linked(w.h, cid)[0] == fake.user_id
    before = linked(w.h, cid)

    r = requests.get(cb, headers=EN, timeout=30)
    check_page(r, 409, "This link was already used")
    r = requests.get(cb, headers=JA, timeout=30)
    check_page(r, 409, "このリンクは既に使用されています", lang="ja")
    assert linked(w.h, cid) == before
    assert len(fake.received("token")) == 1      # LINE was not asked again
    with w.h.db() as con:
        n = con.execute("SELECT count(*) FROM line_login_states WHERE"
                        " tenant_id = ? AND candidate_id = ?",
                        (w.tid, cid)).fetchone()[0]
    assert n == 1


def test_ln3_already_linked_candidate_sees_only_the_done_page(w, fake):
    cid = w.cand(email=email("c"))
    user = link(w, fake, cid)
    at = linked(w.h, cid)[1]
    n = len(fake.authorizations)

    fake.user_id = new_user_id()               # someone else on that phone
    r = requests.get(friend_url(w.h, token_for(w, cid)), headers=EN,
                     allow_redirects=False, timeout=10)
    check_page(r, 200, "Your LINE account is linked")
    assert 'href="https://line.me/R/ti/p/%40123abcde"' in r.text
    assert len(fake.authorizations) == n       # no login at all
    assert linked(w.h, cid) == (user, at)


def test_ln3_wrong_login_channel_secret_shows_a_clear_error(w, fake, h):
    """LINE refuses the token exchange (invalid_client): the candidate is
    told the company's LINE settings are wrong; nothing is linked."""
    h.expected_log.append(r"LINE login of candidate \d+")
    cid = w.cand(email=email("c"))
    fake.login_channel_secret = "f" * 32        # not what hrx has
    r = follow(friend_url(w.h, token_for(w, cid)))
    check_page(r, 502, "LINE Login settings are not correct")
    assert linked(w.h, cid) == (None, None)
    assert fake.received("token")[-1].status == 400
    assert fake.received("profile") == []
    assert "LINE login of candidate %d" % cid in h.error_log()


@pytest.mark.parametrize("patch", [
    {"aud": "1999999999"},                      # another channel's token
    {"nonce": "not-the-state-nonce"},           # another login's token
    {"exp": 1000},                              # long expired
])
def test_ln3_id_token_that_does_not_check_links_nothing(w, fake, patch):
    cid = w.cand(email=email("c"))
    fake.id_token_patch = patch
    r = follow(friend_url(w.h, token_for(w, cid)))
    check_page(r, 502, "LINE registration failed")
    assert linked(w.h, cid) == (None, None)
    assert fake.received("profile") == []


def test_ln3_cancelled_login_links_nothing(w, fake):
    cid = w.cand(email=email("c"))
    fake.consent = False
    r = follow(friend_url(w.h, token_for(w, cid)))
    check_page(r, 400, "LINE login was cancelled")
    assert fake.received("token") == []
    assert linked(w.h, cid) == (None, None)


def test_ln3_one_line_account_one_candidate(w, fake):
    a = w.cand(email=email("a"))
    b = w.cand(email=email("b"))
    user = link(w, fake, a)
    fake.user_id = user                        # the same LINE account
    r = follow(friend_url(w.h, token_for(w, b)))
    check_page(r, 409, "This LINE account is already linked")
    assert linked(w.h, b) == (None, None)
    assert linked(w.h, a)[0] == user
    # in another tenant the same LINE user may be linked (one per tenant)
    w2 = World(w.h)
    connect_line(w.h, w2.owner, fake)
    c = w2.cand(email=email("c"))
    link(w2, fake, c, user=user)


def test_ln3_callback_state_checks(w, fake):
    """The callback trusts only a state signed by hrx, unexpired."""
    cid = w.cand(email=email("c"))
    cb = w.h.url("/line/callback")
    for q in ({}, {"code": "x"}, {"state": "x", "code": "x"},
              {"state": make_state(w.h, w.tid, cid, now_ms() + 60000)[:-2]
               + "AA", "code": "x"}):
        r = requests.get(cb, params=q, headers=EN, timeout=10)
        check_page(r, 404, "This link is not valid")
    r = requests.get(cb, params={
        "state": make_state(w.h, w.tid, cid, now_ms() - 1), "code": "x"},
        headers=EN, timeout=10)
    check_page(r, 410, "This login has expired")
    # a valid state with a code LINE never issued: refused by LINE
    r = requests.get(cb, params={
        "state": make_state(w.h, w.tid, cid, now_ms() + 60000),
        "code": "never-issued"}, headers=EN, timeout=30)
    check_page(r, 410, "This login has expired")
    assert linked(w.h, cid) == (None, None)


def test_ln3_pages_escape_what_came_from_outside(h, fake):
    """UI-3/UI-4: the company name (typed by an admin) is text; Japanese
    when the browser asks for it, and without an Accept-Language."""
    name = '<img src=x onerror=alert(1)> "Acme" & Co\'s'
    s = uniq("t")[:20].lower()
    r = h.login().post(h.url("/api/v1/tenants"), json={
        "slug": s, "name": name,
        "admin": {"email": email("o"), "name": "O",
                  "password": "correct horse battery"}})
    assert r.status_code == 201, r.text
    t = r.json()["id"]
    owner = h.login(r.json()["admin"]["email"], "correct horse battery",
                    tenant=s)
    owner.tenant = r.json()
    connect_line(h, owner, fake)
    cid = cand.make(h, owner, email=email("c"))

    fake.user_id = new_user_id()
    r = follow(friend_url(h, make_token(h, t, cid, now_ms() + 60000)))
    check_page(r, 200, "Your LINE account is linked")
    assert "<img" not in r.text
    assert ("&lt;img src=x onerror=alert(1)&gt; &#34;Acme&#34; &amp; "
            "Co&#39;s") in r.text
    for headers in ({}, JA, {"Accept-Language": "ja-JP"}):
        r = requests.get(friend_url(h, make_token(h, t, cid, now_ms() - 5)),
                         headers=headers, timeout=10)
        check_page(r, 410, "このリンクの有効期限が切れています", lang="ja")
    r = requests.get(friend_url(h, make_token(h, t, cid, now_ms() - 5)),
                     headers={"Accept-Language": "fr-FR, en;q=0.5"},
                     timeout=10)
    check_page(r, 410, "This link has expired")


def test_ln3_only_get(w):
    r = requests.post(w.h.url("/line/callback"), data={"code": "x"},
                      timeout=10)
    assert r.status_code == 405
    assert r.headers["Content-Security-Policy"] == CSP
    check_page(requests.get(w.h.url("/line/other"), headers=EN, timeout=10),
               404, "Page not found")


# -- LN-4: nothing else links --------------------------------------------------------

def test_ln4_no_api_creates_a_candidate_with_a_line_link(w, fake):
    url = w.h.url("/api/v1/candidates")
    for field, value in (("line_user_id", new_user_id()),
                         ("line_linked_at", "2027-01-01T00:00:00Z"),
                         ("line_friend", True)):
        r = w.owner.post(url, json={"family_name": "Kato", field: value})
        err(r, 400, "read_only", field)
        r = w.owner.post(url + "/import", json={"candidates": [
            {"family_name": "Kato", field: value}]})
        assert r.status_code == 400, r.text
        assert field in r.text and "read_only" in r.text
    with w.h.db() as con:
        n = con.execute("SELECT count(*) FROM candidates WHERE tenant_id = ?"
                        " AND line_user_id IS NOT NULL", (w.tid,)).fetchone()[0]
    assert n == 0
    cid = w.cand(email=email("c"))
    c = candidate(w.h, w.owner, cid)
    assert c["line_user_id"] is None and c["line_linked_at"] is None
    assert c["line_friend"] is False


# -- LN-5: the company side cannot remove or change a link ----------------------------

def test_ln5_api_cannot_remove_or_change_a_link(w, fake):
    cid = w.cand(email=email("c"))
    user = link(w, fake, cid)
    before = candidate(w.h, w.owner, cid)
    assert before["line_friend"] is True and before["line_linked_at"]
    url = w.h.url("/api/v1/candidates/%d" % cid)
    for field, value in (("line_user_id", None), ("line_user_id",
                                                  new_user_id()),
                         ("line_linked_at", None), ("line_friend", False)):
        err(w.owner.patch(url, json={field: value}), 400, "read_only", field)
        err(w.owner.patch(url, json={"school": "Keio", field: value}), 400,
            "read_only", field)
    for method in ("DELETE", "PATCH", "PUT", "POST"):
        r = w.owner.request(method, url + "/line", json={})
        assert r.status_code in (404, 405), (method, r.status_code)
    # an edit of other fields keeps the link
    r = w.owner.patch(url, json={"school": "Keio"})
    assert r.status_code == 200, r.text
    after = candidate(w.h, w.owner, cid)
    assert after["line_user_id"] == user
    assert after["line_linked_at"] == before["line_linked_at"]
    assert after["line_friend"] is True and after["school"] == "Keio"
    # the list shows it too
    r = w.owner.get(w.h.url("/api/v1/candidates"))
    assert r.status_code == 200
    [c] = [c for c in r.json()["items"] if c["id"] == cid]
    assert c["line_friend"] is True


def test_ln3_dry_run_shows_the_friend_link_as_the_run_will(w, fake):
    """While LINE is connected a dry run has the link too, so it does not
    report missing_variable:line.friend_url the run would not have."""
    w.cand(email=email("c"))
    tpl = w.template("LINE", "register: {line.friend_url}")
    d = w.dry_run(template_id=tpl)
    assert d["would_receive"] == 1 and d["would_fail"] == 0, d


def test_ln3_no_friend_link_in_mail_to_an_agent(w, fake):
    """Mail that goes to an agent instead of the candidate (BA-10) never
    carries the candidate's friend link (LN-8): the agent's own LINE
    account would become the candidate's.  Without a fallback the
    candidate fails; with one, the fallback is sent."""
    agent = w.post("agents", {"name": "Agency", "email": "desk@agency.test",
                              "route_to_agent": True})["id"]
    cid = w.cand(email=email("c"), route="agent", agent_id=agent)
    tpl = w.template("LINE", "register: {line.friend_url}")
    d = w.dry_run(template_id=tpl)
    assert d["reasons"] == {"missing_variable:line.friend_url": 1}, d

    tpl = w.template("LINE2", "register: {line.friend_url|ask us}")
    a = w.create(template_id=tpl)
    done = w.run(a["id"])
    assert done["status"] == "completed", done
    [res] = w.results(a["id"])
    assert res["candidate_id"] == cid and res["to_agent"] is True
    mail = bulk.wait_for(lambda: mails_by_recipient(w).get("desk@agency.test"),
                         what="the agent's mail")
    assert "register: ask us" in mail and "/line/friend/" not in mail
