"""Sending to candidates by email and LINE (docs/line.md, "Sending"; SPEC
LN-7, LN-8, LN-9, LN-11, LN-12, LN-13): POST /api/v1/candidates/{id}/
messages and bulk actions with also_line, against the fake LINE
(fake_line.py) and the file mail transport, with the outcomes checked in
what LINE received, in the .eml files and in the timeline."""

import json
import os
import time

import pytest

from bulk import World, finish, now_ms, iso, parse, texts, wait_for
from fake_line import FakeLine, new_user_id, utf16_len
from hrx import Hrx
from resources import db_write

MAIL_HOST = "mail.hrx.test"


# -- the environment -----------------------------------------------------------

def seal(h, plain, aad):
    """hrx_seal() from the outside (shm/hrx_crypto.h; test_outbox.py)."""
    hkdf = pytest.importorskip("cryptography.hazmat.primitives.kdf.hkdf")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    aead = pytest.importorskip("cryptography.hazmat.primitives.ciphers.aead")
    with open(h.path("master.key"), "rb") as f:
        master = f.read()
    key = hkdf.HKDF(hashes.SHA256(), 32, None, b"hrx secrets v1").derive(master)
    nonce = os.urandom(12)
    return nonce + aead.AESGCM(key).encrypt(nonce, plain.encode(), aad.encode())


def connect_line(w, fake):
    """LINE connected for w's tenant: through PUT /api/v1/settings/line
    (its connect check runs against the fake), or, where that endpoint is
    not there (yet), the row written with secrets sealed here."""
    r = w.owner.put(w.h.url("/api/v1/settings/line"), json={
        "channel_id": fake.channel_id, "channel_secret": fake.channel_secret,
        "access_token": fake.access_token,
        "login_channel_id": fake.login_channel_id,
        "login_channel_secret": fake.login_channel_secret})
    if r.status_code == 200 and r.json().get("state") == "connected":
        return
    assert r.status_code in (404, 405), r.text
    t = w.tid
    db_write(w.h, "INSERT OR REPLACE INTO line_settings (tenant_id, channel_id,"
             " channel_secret, access_token, login_channel_id,"
             " login_channel_secret, state, connected_at, updated_at)"
             " VALUES (?, ?, ?, ?, ?, ?, 'connected', ?, ?)",
             (t, fake.channel_id,
              seal(w.h, fake.channel_secret, "line.channel_secret:%d" % t),
              seal(w.h, fake.access_token, "line.access_token:%d" % t),
              fake.login_channel_id,
              seal(w.h, fake.login_channel_secret,
                   "line.login_channel_secret:%d" % t),
              now_ms(), now_ms()))


class Env:
    def __init__(self, h, w, fake):
        self.h, self.w, self.fake = h, w, fake

    # candidates
    def cand(self, friend=True, **fields):
        fields.setdefault("email", "c%d@cand.test" % (time.time_ns() % 10**9))
        if friend:
            fields["line_user_id"] = new_user_id()
            fields["line_linked_at"] = now_ms()
        cid = self.w.cand(**fields)
        return cid, fields.get("line_user_id")

    # the API
    def url(self, cid):
        return self.h.url("/api/v1/candidates/%d/messages" % cid)

    def send(self, cid, sess=None, **body):
        return (sess or self.w.owner).post(self.url(cid), json=body)

    def sent(self, cid, **body):
        r = self.send(cid, **body)
        assert r.status_code == 201, r.text
        return r.json()["items"]

    def timeline(self, cid, sess=None):
        r = (sess or self.w.owner).get(self.url(cid))
        assert r.status_code == 200, r.text
        return r.json()["items"]

    def settled(self, cid, n, timeout=20):
        """The timeline once its first n outgoing messages left queued."""
        def done():
            items = self.timeline(cid)
            out = [m for m in items if m["direction"] == "out"]
            return items if len(out) >= n and all(
                m["state"] != "queued" for m in out) else None
        return wait_for(done, timeout, 0.05, "%d messages settled" % n)

    # what left
    def outbox(self, cid):
        with self.h.db() as con:
            return [dict(r) for r in con.execute(
                "SELECT * FROM outbox WHERE candidate_id = ? ORDER BY id",
                (cid,))]

    def mails(self):
        return self.w.file_mails()

    def pushes_to(self, uid):
        return [p for p in self.fake.pushes if p.to == uid]

    def push_requests(self):
        return self.fake.received("push")


def error(r, status, code, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    e = r.json()["error"]
    assert e["code"] == code, e
    if field is not None:
        assert e["field"] == field, e
    return e


@pytest.fixture
def env(tmp_path_factory):
    fake = FakeLine().start()
    h = Hrx(tmp_path_factory.mktemp("hrx"),
            extra_conf="        hrx_line_api_url %s;\n" % fake.url,
            scheduler_args=["--line-api-url", fake.url, "--retry-base-ms", "200",
                            "--max-attempts", "4", "--mail-host", MAIL_HOST])
    h.start()
    try:
        w = World(h)
        connect_line(w, fake)
        yield Env(h, w, fake)
    finally:
        try:
            finish(h)
        finally:
            fake.stop()


# -- LN-7: from the LINE view, LINE only; email + "also send to LINE" ----------

def test_ln7_line_view_sends_only_a_push(env):
    cid, uid = env.cand()
    text = "面接の日程についてご連絡します。\nよろしくお願いします。"
    items = env.sent(cid, channel="line", text=text)
    assert [(m["channel"], m["direction"], m["state"], m["body"], m["subject"])
            for m in items] == [("line", "out", "queued", text, None)]

    p = env.fake.wait_pushes(1)[0]
    assert p.to == uid and p.texts == [text]
    rows = env.outbox(cid)
    assert [r["channel"] for r in rows] == ["line"]           # no mail at all
    assert p.retry_key == rows[0]["message_id"]
    assert json.loads(rows[0]["payload"]) == {
        "to": uid, "messages": [{"type": "text", "text": text}]}

    tl = env.settled(cid, 1)
    assert [(m["id"], m["channel"], m["state"], m["error"]) for m in tl] == \
        [(items[0]["id"], "line", "sent", None)]
    assert env.mails() == {}


def test_ln7_email_with_also_line_sends_the_same_text_to_line(env):
    cid, uid = env.cand(family_name="Sato", given_name="Hanako",
                        email="hanako@cand.test")
    text = "Dear Hanako,\nyour interview is on Monday.\nBest regards"
    items = env.sent(cid, channel="email", subject="Interview", text=text,
                     also_line=True)
    assert [(m["channel"], m["subject"], m["body"]) for m in items] == \
        [("email", "Interview", text), ("line", None, text)]

    p = env.fake.wait_pushes(1)[0]
    assert p.to == uid and p.texts == [text]
    tl = env.settled(cid, 2)
    assert [(m["channel"], m["state"]) for m in tl] == [("email", "sent"),
                                                         ("line", "sent")]

    rows = {r["channel"]: r for r in env.outbox(cid)}
    mails = env.mails()
    assert list(mails) == [rows["email"]["id"]]
    m = mails[rows["email"]["id"]]
    assert m["To"].addresses[0].addr_spec == "hanako@cand.test"
    assert m["Subject"] == "Interview"
    assert m["Message-ID"].endswith("@%s>" % MAIL_HOST)
    assert texts(m)[0].replace("\r\n", "\n").rstrip("\n") == text
    # one push, one mail: nothing twice
    assert len(env.push_requests()) == 1


def test_ln7_refusals(env):
    cid, uid = env.cand()
    stranger, _ = env.cand(friend=False)

    # strict validation by the worker: nothing reaches the scheduler
    error(env.send(cid, channel="line", text="x", extra=1), 400,
          "unknown_field", "extra")
    error(env.send(cid, channel="sms", text="x"), 400, "invalid_value", "channel")
    error(env.send(cid, channel="line", text=""), 400, "invalid_length", "text")
    error(env.send(cid, channel="line", text="x" * 25001), 400,
          "invalid_length", "text")
    error(env.send(cid, channel="line", text=5), 400, "invalid_type", "text")
    error(env.send(cid, channel="email", text="x"), 400, "required", "subject")
    error(env.send(cid, channel="email", subject="s" * 256, text="x"), 400,
          "invalid_length", "subject")
    error(env.send(cid, channel="email", subject="a\r\nBcc: x@y.z", text="x"),
          400, "invalid_value", "subject")
    error(env.send(cid, channel="line", subject="s", text="x"), 400,
          "not_allowed", "subject")
    error(env.send(cid, channel="line", text="x", also_line=True), 400,
          "not_allowed", "also_line")
    error(env.send(cid, channel="email", subject="s", text="x", also_line="yes"),
          400, "invalid_type", "also_line")
    error(env.send(cid, channel="line", text="x", send_at="tomorrow"), 400,
          "invalid_value", "send_at")
    error(env.send(cid, channel="line", text="x", send_at=iso(now_ms() - 60000)),
          400, "invalid_value", "send_at")
    error(env.send(10 ** 9, channel="line", text="x"), 404, "not_found")
    assert env.timeline(cid) == []

    # state the scheduler decides on
    error(env.send(stranger, channel="line", text="x"), 400, "not_line_friend",
          "channel")
    error(env.send(stranger, channel="email", subject="s", text="x",
                   also_line=True), 400, "not_line_friend", "also_line")
    nomail, _ = env.cand(email=None)
    error(env.send(nomail, channel="email", subject="s", text="x"), 400,
          "no_email")

    db_write(env.h, "UPDATE line_settings SET state = 'disconnected'"
             " WHERE tenant_id = ?", (env.w.tid,))
    error(env.send(cid, channel="line", text="x"), 409, "line_not_connected",
          "channel")
    error(env.send(cid, channel="email", subject="s", text="x", also_line=True),
          409, "line_not_connected", "also_line")
    # nothing half-applied: no row anywhere
    assert env.outbox(cid) == [] and env.timeline(cid) == []
    # email alone still goes
    assert len(env.sent(cid, channel="email", subject="s", text="x")) == 1
    assert env.push_requests() == []

    # another tenant's candidate is not found
    other = World(env.h)
    oc = other.cand(family_name="Other", email="o@cand.test")
    error(env.send(oc, channel="email", subject="s", text="x"), 404, "not_found")
    r = env.w.owner.get(env.url(oc))
    error(r, 404, "not_found")


# -- LN-8: never LINE to an agent ----------------------------------------------

def test_ln8_agent_routed_candidate_gets_no_line_and_mail_goes_to_agent(env):
    agent = env.w.post("agents", {"name": "Agency", "email": "desk@agency.test",
                                  "route_to_agent": True})["id"]
    cid, uid = env.cand(family_name="Via", email="via@cand.test", route="agent",
                        agent_id=agent)

    error(env.send(cid, channel="email", subject="s", text="x", also_line=True),
          400, "agent_route", "also_line")
    error(env.send(cid, channel="line", text="x"), 400, "agent_route", "channel")
    assert env.outbox(cid) == []

    items = env.sent(cid, channel="email", subject="Your candidate", text="Hello")
    assert [m["channel"] for m in items] == ["email"]
    env.settled(cid, 1)
    rows = env.outbox(cid)
    assert [(r["channel"], r["recipient"]) for r in rows] == \
        [("email", "desk@agency.test")]
    m = env.mails()[rows[0]["id"]]
    assert m["To"].addresses[0].addr_spec == "desk@agency.test"
    assert env.push_requests() == []

    # an agent that does not take the mail: the candidate gets both
    keep = env.w.post("agents", {"name": "Keep", "email": "keep@agency.test",
                                 "route_to_agent": False})["id"]
    c2, uid2 = env.cand(route="agent", agent_id=keep)
    assert len(env.sent(c2, channel="email", subject="s", text="hi",
                        also_line=True)) == 2
    assert env.fake.wait_pushes(1)[0].to == uid2


def test_ln8_bulk_action_agent_recipients_never_get_line(env):
    w = env.w
    agent = w.post("agents", {"name": "Agency", "email": "desk@agency.test",
                              "route_to_agent": True})["id"]
    direct, uid = env.cand(family_name="Direct", email="direct@cand.test")
    via, via_uid = env.cand(family_name="Via", email="via@cand.test",
                            route="agent", agent_id=agent)
    a = w.create(also_line=True)
    done = w.run(a["id"])
    assert done["status"] == "completed", done
    res = {r["candidate_id"]: r for r in w.results(a["id"])}
    assert (res[via]["to_agent"], res[via]["line"], res[via]["email"]) == \
        (True, False, "desk@agency.test")
    assert res[direct]["line"] is True

    env.fake.wait_pushes(1)
    time.sleep(0.5)
    assert [p.to for p in env.fake.pushes] == [uid]
    assert env.pushes_to(via_uid) == []
    lines = [r for r in w.outbox(a["id"]) if r["channel"] == "line"]
    assert [r["recipient"] for r in lines] == [uid]


# -- LN-9: scheduled email, LINE at the same time ---------------------------------

def test_ln9_scheduled_email_and_line_go_together(env):
    cid, uid = env.cand(email="later@cand.test")
    at = now_ms() + 3600 * 1000
    items = env.sent(cid, channel="email", subject="Later", text="See you",
                     also_line=True, send_at=iso(at))
    assert {m["send_at"] for m in items} == {iso(at)}
    rows = env.outbox(cid)
    assert sorted(r["channel"] for r in rows) == ["email", "line"]
    # both wait for the same minute (RFC 3339 has seconds: at, to the second)
    assert len({r["next_attempt_at"] for r in rows}) == 1
    assert abs(rows[0]["next_attempt_at"] - at) < 1000

    time.sleep(1.5)
    assert env.push_requests() == [] and env.mails() == {}
    assert all(r["state"] == "queued" and r["attempts"] == 0
               for r in env.outbox(cid))
    assert [m["state"] for m in env.timeline(cid)] == ["queued", "queued"]

    # the time comes
    db_write(env.h, "UPDATE outbox SET next_attempt_at = ? WHERE candidate_id = ?",
             (now_ms(), cid))
    env.fake.wait_pushes(1)
    tl = env.settled(cid, 2)
    assert [m["state"] for m in tl] == ["sent", "sent"]
    assert len(env.mails()) == 1
    assert env.fake.pushes[0].texts == ["See you"]


# -- LN-11: retries with the same X-Line-Retry-Key ----------------------------------

def keys_of(reqs):
    return [r.header("x-line-retry-key") for r in reqs]


def test_ln11_429_with_retry_after_then_success(env):
    cid, uid = env.cand()
    env.fake.fail_next("push", 1, 429, retry_after=1)
    env.sent(cid, channel="line", text="rate limited")
    env.fake.wait_pushes(1)
    reqs = env.push_requests()
    assert [r.status for r in reqs] == [429, 200]
    keys = keys_of(reqs)
    assert keys[0] and keys[0] == keys[1] == env.outbox(cid)[0]["message_id"]
    # Retry-After (1 s) honoured, not the 200 ms backoff
    gap = reqs[1].at - reqs[0].at
    assert gap >= 0.9, gap
    tl = env.settled(cid, 1)
    assert tl[0]["state"] == "sent"
    assert len(env.fake.pushes) == 1
    r = env.outbox(cid)[0]
    assert (r["state"], r["attempts"]) == ("sent", 2)


def test_ln11_500_then_success(env):
    cid, uid = env.cand()
    env.fake.fail_next("push", 1, 500)
    env.sent(cid, channel="line", text="server trouble")
    env.fake.wait_pushes(1)
    reqs = env.push_requests()
    assert [r.status for r in reqs] == [500, 200]
    assert len(set(keys_of(reqs))) == 1
    assert env.settled(cid, 1)[0]["state"] == "sent"
    assert len(env.fake.pushes) == 1


def test_ln11_lost_answer_retry_gets_409_and_counts_as_sent(env):
    cid, uid = env.cand()
    # LINE takes the push, the answer never comes back
    env.fake.close_next("push", 1, process=True)
    env.sent(cid, channel="line", text="only once")
    tl = env.settled(cid, 1)
    assert tl[0]["state"] == "sent", tl
    reqs = env.push_requests()
    assert [r.status for r in reqs] == [None, 409]
    assert len(set(keys_of(reqs))) == 1
    assert len(env.fake.pushes) == 1 and env.fake.pushes[0].texts == ["only once"]
    assert "had accepted this retry key" in env.h.scheduler_log()


def test_ln11_400_fails_with_the_providers_message(env):
    cid, uid = env.cand()
    env.fake.fail_next("push", 1, 400, message="The property, 'to', in the "
                       "request body is invalid")
    items = env.sent(cid, channel="line", text="bad")
    tl = env.settled(cid, 1)
    assert tl[0]["id"] == items[0]["id"]
    assert tl[0]["state"] == "failed"
    assert "The property, 'to', in the request body is invalid" in tl[0]["error"]
    assert len(env.push_requests()) == 1                 # no retry of a 4xx
    r = env.outbox(cid)[0]
    assert (r["state"], r["attempts"]) == ("failed", 1)
    assert env.fake.pushes == []


# -- LN-12: bulk actions with LINE on ----------------------------------------------

def test_ln12_bulk_action_friends_get_email_and_line_others_email_only(env):
    w = env.w
    friend, uid = env.cand(family_name="Friend", given_name="Ami",
                           email="friend@cand.test")
    other, _ = env.cand(friend=False, family_name="Other", email="other@cand.test")
    a = w.create(also_line=True)
    assert a["also_line"] is True
    done = w.run(a["id"])
    assert done["status"] == "completed", done
    assert done["counts"]["reached"] == 2

    res = {r["candidate_id"]: r for r in w.results(a["id"])}
    assert (res[friend]["line"], res[other]["line"]) == (True, False)
    rows = w.outbox(a["id"])
    assert sorted((r["candidate_id"], r["channel"]) for r in rows) == \
        sorted([(friend, "email"), (friend, "line"), (other, "email")])

    p = env.fake.wait_pushes(1)[0]
    assert p.to == uid
    mails = {m["To"].addresses[0].addr_spec: m for m in w.file_mails().values()}
    assert set(mails) == {"friend@cand.test", "other@cand.test"}
    # the same text as the mail's plain part
    body = texts(mails["friend@cand.test"])[0].replace("\r\n", "\n").rstrip("\n")
    assert "\n".join(p.texts).rstrip("\n") == body
    wait_for(lambda: all(r["state"] == "sent" for r in w.outbox(a["id"])),
             20, 0.05, "every row sent")
    # the action's counts are the email's (BA-13): LINE added none
    assert w.get(a["id"])["counts"] == {"hits": 2, "reached": 2, "failed": 0,
                                        "pending": 0}


def test_ln12_also_line_needs_line_connected(env):
    w = env.w
    db_write(env.h, "DELETE FROM line_settings WHERE tenant_id = ?", (w.tid,))
    r = w.planner.post(w.url(), json=w.body(also_line=True))
    error(r, 409, "line_not_connected", "also_line")
    a = w.create()
    r = w.patch(a["id"], also_line=True)
    error(r, 409, "line_not_connected", "also_line")


# -- LN-13: 1 to 5 messages per push, long text split -------------------------------

def test_ln13_long_text_is_split_into_at_most_five_messages(env):
    cid, uid = env.cand()
    para = "あいうえお" * 199 + "\n"                   # 996 characters
    text = para * 12                                   # 11952 characters
    env.sent(cid, channel="line", text=text)
    p = env.fake.wait_pushes(1)[0]
    assert 1 <= len(p.messages) <= 5 and len(p.messages) == 3
    assert all(utf16_len(t) <= 5000 for t in p.texts)
    assert "".join(p.texts) == text
    assert len(env.push_requests()) == 1

    # emoji count twice (UTF-16): 24 000 characters of them need 10 pushes'
    # worth; the scheduler refuses what LINE cannot take in one push
    error(env.send(cid, channel="line", text="😀" * 20000), 400,
          "too_long_for_line", "text")
