"""The WhatsApp webhook (docs/whatsapp.md, WA-2, WA-13): Meta's GET
handshake, signed POST deliveries stored durably before the 200, every
entry/change/message/status processed, deduplicated, multi-MB batches,
and a kill -9 of the scheduler under load."""

import concurrent.futures
import json
import os
import threading
import time

import pytest
import requests

import fake_whatsapp as fw
import wahelp as wh
from fake_whatsapp import FakeWhatsApp, deliver, make_delivery
from resources import make_tenant, make_candidate, err


@pytest.fixture(scope="module")
def fake():
    with FakeWhatsApp() as f:
        yield f


@pytest.fixture(scope="module")
def hrx(tmp_path_factory, fake):
    h = wh.start(tmp_path_factory, fake)
    yield h
    wh.finish(h)


@pytest.fixture(scope="module")
def admin(hrx):
    return hrx.login()


@pytest.fixture
def owner(hrx, admin, fake):
    """A tenant with one connected number: .number, .hook, .fake_values."""
    fake.reset()
    s = make_tenant(hrx, admin)
    s.number = wh.connect(hrx, s, fake)
    s.hook = hrx.url("/webhooks/whatsapp/%d" % s.number["id"])
    s.secret = fake.app_secret
    s.verify = fake.verify_token
    s.pnid = fake.phone_number_id
    s.waba = fake.waba_id
    s.display = fake.display_phone_number
    return s


def q(hrx, sql, args=()):
    with hrx.db() as con:
        return [dict(r) for r in con.execute(sql, args).fetchall()]


def events(hrx, tid, kind=None):
    sql = "SELECT * FROM whatsapp_events WHERE tenant_id = ?"
    args = [tid]
    if kind:
        sql += " AND kind = ?"
        args.append(kind)
    return q(hrx, sql + " ORDER BY id", args)


def deliveries(hrx, tid):
    return q(hrx, "SELECT * FROM whatsapp_deliveries WHERE tenant_id = ?",
             (tid,))


def one_text(owner, text="こんにちは", wa_id="819012345678", **kw):
    m = fw.text_message(text, wa_id, **kw)
    body = make_delivery([(owner.waba, [fw.messages_change(
        owner.pnid, owner.display, messages=[m])])])
    return m, body


# -- GET verification ---------------------------------------------------------

def test_wa2_get_verification_echoes_the_challenge(hrx, owner):
    r = requests.get(owner.hook, params={
        "hub.mode": "subscribe", "hub.challenge": "1158201444",
        "hub.verify_token": owner.verify}, timeout=5)
    assert r.status_code == 200, r.text
    assert r.text == "1158201444"
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "x"},
    {"hub.mode": "unsubscribe", "hub.challenge": "1"},
    {"hub.challenge": "1"},
    {"hub.mode": "subscribe"},
], ids=["wrong-token", "wrong-mode", "no-mode", "no-challenge"])
def test_wa2_get_verification_refuses(hrx, owner, params):
    p = dict(params)
    if "hub.verify_token" not in p and p.get("hub.mode") != "unsubscribe":
        p["hub.verify_token"] = owner.verify
    if p.get("hub.mode") == "unsubscribe":
        p["hub.verify_token"] = owner.verify
    r = requests.get(owner.hook, params=p, timeout=5)
    assert r.status_code == 403, r.text
    assert "1" != r.text


def test_wa2_get_of_an_unknown_number_is_404(hrx, owner):
    r = requests.get(hrx.url("/webhooks/whatsapp/%d" % (owner.number["id"]
                                                        + 999)),
                     params={"hub.mode": "subscribe", "hub.challenge": "1",
                             "hub.verify_token": owner.verify}, timeout=5)
    assert r.status_code == 404


# -- POST: signature ------------------------------------------------------------

def test_wa2_signed_text_is_stored_before_the_200(hrx, owner):
    tid = owner.tenant["id"]
    cid = make_candidate(hrx, owner, whatsapp_number="+819012345678")
    m, body = one_text(owner)
    r = deliver(owner.hook, body, owner.secret)
    assert r.status_code == 200, r.text
    [d] = deliveries(hrx, tid)
    assert d["body"] == body and d["number_id"] == owner.number["id"]
    [e] = events(hrx, tid)
    assert e["kind"] == "message" and e["wamid"] == m["id"]
    assert e["wa_id"] == "819012345678" and e["phone"] == "+819012345678"
    assert e["candidate_id"] == cid
    assert e["type"] == "text" and e["text"] == "こんにちは"
    assert e["number_id"] == owner.number["id"]
    assert e["occurred_at"] == int(m["timestamp"]) * 1000


def timeline(hrx, sess, cid):
    r = sess.get(hrx.url("/api/v1/candidates/%d/messages" % cid))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_wa2_inbound_messages_are_timeline_rows_of_the_candidate(hrx, owner):
    cid = make_candidate(hrx, owner, whatsapp_number="+819011112222")
    other = make_candidate(hrx, owner, whatsapp_number="+819033334444")
    ts = int(time.time()) - 3600
    text = fw.text_message("面接の件です", "819011112222", timestamp=ts)
    image = {"from": "819011112222", "id": fw.wamid(),
             "timestamp": str(ts + 1), "type": "image",
             "image": {"caption": "履歴書", "mime_type": "image/jpeg",
                       "sha256": "x", "id": "1003383421387256"}}
    button = {"context": {"from": "819011112222", "id": "wamid.x"},
              "from": "819011112222", "id": fw.wamid(),
              "timestamp": str(ts + 2), "type": "button",
              "button": {"payload": "yes", "text": "参加します"}}
    odd = {"from": "819011112222", "id": fw.wamid(),
           "timestamp": str(ts + 3), "type": "pool_v9", "pool_v9": {}}
    stranger = fw.text_message("?", "819055556666")
    body = make_delivery([(owner.waba, [fw.messages_change(
        owner.pnid, owner.display,
        messages=[text, image, button, odd, stranger])])])
    for _ in range(2):                       # a redelivery adds nothing
        assert deliver(owner.hook, body, owner.secret).status_code == 200
    got = timeline(hrx, owner, cid)
    assert [(m["channel"], m["direction"], m["kind"], m["body"])
            for m in got] == [
        ("whatsapp", "in", "text", "面接の件です"),
        ("whatsapp", "in", "image", "履歴書"),
        ("whatsapp", "in", "button", "参加します"),
        ("whatsapp", "in", "unsupported", None)]
    assert got[0]["created_at"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
    assert timeline(hrx, owner, other) == []
    # the timeline row names its event; the stranger has none
    rows = q(hrx, "SELECT m.whatsapp_event_id, e.wamid FROM messages m"
             " JOIN whatsapp_events e ON e.id = m.whatsapp_event_id"
             " WHERE m.candidate_id = ? ORDER BY m.id", (cid,))
    assert [r["wamid"] for r in rows] == [text["id"], image["id"],
                                          button["id"], odd["id"]]
    # the stranger became a candidate of its own (unknown_senders
    # "candidate", the default), with its message in its timeline
    [new] = q(hrx, "SELECT id FROM candidates WHERE tenant_id = ? AND"
              " whatsapp_number = '+819055556666'", (owner.tenant["id"],))
    assert [m["body"] for m in timeline(hrx, owner, new["id"])] == ["?"]
    assert q(hrx, "SELECT count(*) AS n FROM messages WHERE tenant_id = ?",
             (owner.tenant["id"],))[0]["n"] == 5


@pytest.mark.parametrize("how", ["missing", "wrong", "other-secret",
                                 "no-prefix", "uppercase", "sha1"])
def test_wa2_bad_signature_is_401_nothing_stored(hrx, owner, how):
    tid = owner.tenant["id"]
    _, body = one_text(owner)
    good = fw.sign(owner.secret, body)
    sig = {"missing": None, "wrong": "sha256=" + "0" * 64,
           "other-secret": fw.sign("f" * 32, body),
           "no-prefix": good[len("sha256="):],
           "uppercase": "sha256=" + good[len("sha256="):].upper(),
           "sha1": "sha1=" + good[len("sha256="):]}[how]
    r = deliver(owner.hook, body, signature=sig)
    e = err(r, 401, "invalid_signature", "X-Hub-Signature-256")
    assert ("missing" in e["message"]) == (how == "missing")
    assert deliveries(hrx, tid) == [] and events(hrx, tid) == []


def test_wa2_signature_over_the_raw_bytes(hrx, owner):
    """Escaped unicode as Meta sends it: re-serialising would differ."""
    tid = owner.tenant["id"]
    m = fw.text_message("x", "819012345678")
    raw = ('{"object":"whatsapp_business_account","entry":[{"id":"%s",'
           '"changes":[{"value":{"messaging_product":"whatsapp","metadata":'
           '{"display_phone_number":"15550783881","phone_number_id":"%s"},'
           '"messages":[{"from":"819012345678","id":"%s","timestamp":"%s",'
           '"type":"text","text":{"body":"caf\\u00e9 @ \\ud83d\\ude00"}}]},'
           '"field":"messages"}]}]}' % (owner.waba, owner.pnid, m["id"],
                                         m["timestamp"])).encode()
    r = deliver(owner.hook, raw, owner.secret)
    assert r.status_code == 200, r.text
    [e] = events(hrx, tid)
    assert e["text"] == "café @ 😀"
    assert deliveries(hrx, tid)[0]["body"] == raw


def test_wa2_another_numbers_secret_does_not_sign_here(hrx, admin, owner,
                                                       fake):
    other = make_tenant(hrx, admin)
    fake.reset()
    n2 = wh.connect(hrx, other, fake)
    _, body = one_text(owner)
    # owner's body, signed with the other tenant's app secret
    r = deliver(owner.hook, body, fake.app_secret)
    err(r, 401, "invalid_signature")
    r = deliver(hrx.url("/webhooks/whatsapp/%d" % n2["id"]), body,
                owner.secret)
    err(r, 401, "invalid_signature")
    assert events(hrx, owner.tenant["id"]) == []
    assert events(hrx, other.tenant["id"]) == []


def test_wa2_other_tenants_phone_number_ids_are_matched_to_nothing(
        hrx, admin, owner, fake):
    """Signed with owner's app secret but naming the other tenant's phone
    number id: kept as owner's, matched to no number or candidate, and
    nothing reaches the other tenant."""
    other = make_tenant(hrx, admin)
    fake.reset()
    wh.connect(hrx, other, fake)
    make_candidate(hrx, other, whatsapp_number="+819012345678")
    make_candidate(hrx, owner, whatsapp_number="+819012345678")
    m = fw.text_message("spoof", "819012345678")
    body = make_delivery([(fake.waba_id, [fw.messages_change(
        fake.phone_number_id, fake.display_phone_number, messages=[m])])])
    r = deliver(owner.hook, body, owner.secret)
    assert r.status_code == 200, r.text
    [e] = events(hrx, owner.tenant["id"])
    assert e["number_id"] is None and e["candidate_id"] is None
    assert events(hrx, other.tenant["id"]) == []


def test_wa2_unknown_number_is_404(hrx, owner):
    _, body = one_text(owner)
    r = deliver(hrx.url("/webhooks/whatsapp/%d" % (owner.number["id"] + 999)),
                body, owner.secret)
    assert r.status_code == 404


def test_wa2_disconnected_number_is_404(hrx, owner):
    url = wh.number_url(hrx, owner.number["id"])
    assert owner.delete(url + "?confirm=true").status_code == 204
    _, body = one_text(owner)
    assert deliver(owner.hook, body, owner.secret).status_code == 404
    assert deliveries(hrx, owner.tenant["id"]) == []


# -- POST: bodies -------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"{not json", b"[1,2]", b'{"object":"page","entry":[]}',
    b'{"object":"whatsapp_business_account"}', b"",
], ids=["malformed", "array", "other-object", "no-entry", "empty"])
def test_wa2_signed_but_not_a_delivery_is_400(hrx, owner, body):
    r = deliver(owner.hook, body, owner.secret)
    err(r, 400, "invalid_body", "body")
    assert deliveries(hrx, owner.tenant["id"]) == []


def test_wa2_unknown_fields_and_types_are_kept_not_refused(hrx, owner):
    tid = owner.tenant["id"]
    m = fw.text_message("hi", "819012345678", future_member={"x": 1})
    unsupported = {"from": "819012345678", "id": fw.wamid(),
                   "timestamp": "1697044706", "type": "unsupported",
                   "errors": [{"code": 131051, "title": "Message type unknown",
                               "message": "Message type unknown"}],
                   "unsupported": {"type": "pool"}}
    change = fw.messages_change(owner.pnid, owner.display,
                                messages=[m, unsupported])
    change["value"]["brand_new"] = [1, 2, 3]
    body = make_delivery([(owner.waba, [
        change, {"field": "account_update", "value": {"event": "X"}},
        {"field": "user_preferences", "value": {}}])])
    r = deliver(owner.hook, body, owner.secret)
    assert r.status_code == 200, r.text
    got = events(hrx, tid)
    assert [e["type"] for e in got] == ["text", "unsupported"]
    assert got[1]["error_code"] == 131051
    assert got[1]["error_title"] == "Message type unknown"
    assert len(deliveries(hrx, tid)) == 1


def test_wa2_every_entry_change_message_and_status(hrx, owner, fake):
    tid = owner.tenant["id"]
    sent = [fw.wamid() for _ in range(3)]
    msgs = [fw.text_message("m%d" % i, "8190000000%02d" % i)
            for i in range(6)]
    c1 = fw.messages_change(owner.pnid, owner.display, messages=msgs[:2],
                            statuses=[fw.status(sent[0], "sent", "8190"),
                                      fw.status(sent[1], "sent", "8190")])
    c2 = fw.messages_change(owner.pnid, owner.display, messages=msgs[2:4])
    c3 = fw.messages_change(owner.pnid, owner.display, messages=msgs[4:],
                            statuses=[fw.status(sent[2], "failed", "8190",
                                                errors=[{"code": 131047,
                                                         "title": "Re-engagement message"}])])
    body = make_delivery([(owner.waba, [c1, c2]), (owner.waba, [c3])])
    r = deliver(owner.hook, body, owner.secret)
    assert r.status_code == 200, r.text
    got = events(hrx, tid, "message")
    assert sorted(e["wamid"] for e in got) == sorted(m["id"] for m in msgs)
    st = events(hrx, tid, "status")
    assert sorted((e["wamid"], e["status"]) for e in st) == sorted(
        [(sent[0], "sent"), (sent[1], "sent"), (sent[2], "failed")])
    failed = [e for e in st if e["status"] == "failed"][0]
    assert failed["error_code"] == 131047
    assert failed["error_title"] == "Re-engagement message"


def test_wa2_dedup_by_wamid_and_by_wamid_status(hrx, owner):
    tid = owner.tenant["id"]
    m, body = one_text(owner)
    for _ in range(3):
        assert deliver(owner.hook, body, owner.secret).status_code == 200
    assert len(deliveries(hrx, tid)) == 3          # each delivery kept raw
    assert len(events(hrx, tid, "message")) == 1   # the message once
    w = fw.wamid()
    for states in (["sent"], ["sent", "delivered"], ["delivered", "read"]):
        body = make_delivery([(owner.waba, [fw.messages_change(
            owner.pnid, owner.display,
            statuses=[fw.status(w, s, "8190") for s in states])])])
        assert deliver(owner.hook, body, owner.secret).status_code == 200
    assert sorted(e["status"] for e in events(hrx, tid, "status")) == [
        "delivered", "read", "sent"]
    # the same message inside a batch of new ones: only the new ones added
    m2 = fw.text_message("new", "819012345678")
    body = make_delivery([(owner.waba, [fw.messages_change(
        owner.pnid, owner.display, messages=[m, m2])])])
    assert deliver(owner.hook, body, owner.secret).status_code == 200
    assert sorted(e["wamid"] for e in events(hrx, tid, "message")) == sorted(
        [m["id"], m2["id"]])


def test_wa13_template_status_update_takes_effect_with_the_200(hrx, owner):
    tid = owner.tenant["id"]
    tpl = 1689556908129835
    body = fw.make_template_delivery(owner.waba, fw.template_status_change(
        tpl, "interview_reminder", "REJECTED", reason="INVALID_FORMAT"),
        time_=1751247548)
    r = deliver(owner.hook, body, owner.secret)
    assert r.status_code == 200, r.text
    [e] = events(hrx, tid, "template_status")
    assert e["template_id"] == str(tpl)          # an integer, kept exactly
    assert e["template_name"] == "interview_reminder"
    assert e["status"] == "REJECTED" and e["reason"] == "INVALID_FORMAT"
    assert e["language"] == "ja"
    assert e["occurred_at"] == 1751247548 * 1000
    assert deliver(owner.hook, body, owner.secret).status_code == 200
    assert len(events(hrx, tid, "template_status")) == 1
    approved = fw.make_template_delivery(owner.waba, fw.template_status_change(
        tpl, "interview_reminder", "APPROVED"), time_=1751247600)
    assert deliver(owner.hook, approved, owner.secret).status_code == 200
    assert [e["status"] for e in events(hrx, tid, "template_status")] == [
        "REJECTED", "APPROVED"]


def test_wa2_unknown_senders_per_the_numbers_setting(hrx, owner, fake):
    tid = owner.tenant["id"]
    a = fw.text_message("who?", "819099999999")
    a2 = fw.text_message("me again", "819099999999")
    b = fw.text_message("user", "US.13491208655302741918")
    change = fw.messages_change(owner.pnid, owner.display,
                                messages=[a, a2, b])
    change["value"]["contacts"] = [
        {"profile": {"name": "佐藤 花子"}, "wa_id": "819099999999"},
        {"profile": {"name": "x"}, "wa_id": "US.13491208655302741918"}]
    body = make_delivery([(owner.waba, [change])])
    for _ in range(2):
        assert deliver(owner.hook, body, owner.secret).status_code == 200
    ea, ea2, eb = events(hrx, tid)
    # "candidate" (the default): one new candidate, both messages its own
    [c] = q(hrx, "SELECT id, family_name, whatsapp_number FROM candidates"
            " WHERE tenant_id = ?", (tid,))
    assert c["family_name"] == "佐藤 花子"
    assert c["whatsapp_number"] == "+819099999999"
    assert ea["candidate_id"] == ea2["candidate_id"] == c["id"]
    assert [m["body"] for m in timeline(hrx, owner, c["id"])] == [
        "who?", "me again"]
    # a username id is no phone number: no candidate
    assert eb["phone"] is None and eb["candidate_id"] is None
    assert eb["wa_id"] == "US.13491208655302741918"

    # "contact": contacts are not built yet -- stored, matched to nobody
    r = owner.put(wh.number_url(hrx, owner.number["id"]),
                  json={"nickname": "n", "waba_id": owner.waba,
                        "phone_number_id": owner.pnid,
                        "unknown_senders": "contact"}, timeout=30)
    assert r.status_code == 200, r.text
    s = fw.text_message("contact?", "819088888888")
    body = make_delivery([(owner.waba, [fw.messages_change(
        owner.pnid, owner.display, messages=[s])])])
    assert deliver(owner.hook, body, owner.secret).status_code == 200
    assert events(hrx, tid)[-1]["candidate_id"] is None
    assert len(q(hrx, "SELECT id FROM candidates WHERE tenant_id = ?",
                 (tid,))) == 1


@pytest.mark.parametrize("n", [40, 900])
def test_wa2_large_batched_deliveries(hrx, owner, n):
    """40 messages: over nginx's body buffer (a temp file), still inline;
    900 messages of ~3.5 KB: over 3 MB, through a spool file."""
    tid = owner.tenant["id"]
    msgs = [fw.text_message(("%d " % i) + "あ" * 1100, "8190%08d" % i)
            for i in range(n)]
    body = make_delivery([(owner.waba, [fw.messages_change(
        owner.pnid, owner.display, messages=msgs[i:i + 100])])
        for i in range(0, n, 100)])
    if n == 900:
        assert len(body) > 3 * 1024 * 1024
    r = deliver(owner.hook, body, owner.secret, timeout=60)
    assert r.status_code == 200, r.text
    assert len(events(hrx, tid, "message")) == n
    assert deliveries(hrx, tid)[0]["body"] == body
    spool = hrx.path("tmp", "import")
    assert not os.path.isdir(spool) or os.listdir(spool) == []
    # a bad signature on a large body is refused too
    r = deliver(owner.hook, body, "0" * 32, timeout=60)
    err(r, 401, "invalid_signature")


def test_wa2_over_the_limit_is_413(hrx, owner):
    body = b'{"object":"whatsapp_business_account","entry":[],"pad":"' + \
        b"x" * (8 * 1024 * 1024) + b'"}'
    r = deliver(owner.hook, body, owner.secret, timeout=60)
    assert r.status_code == 413
    assert deliveries(hrx, owner.tenant["id"]) == []


def test_openapi_lists_the_webhook_routes():
    from hrx import TOP
    spec = json.load(open(os.path.join(TOP, "docs", "openapi.json")))
    assert set(spec["paths"]["/webhooks/whatsapp/{id}"]) >= {"get", "post"}


# -- durability under a crash -------------------------------------------------

def test_wa2_kill_9_between_acknowledge_and_processing(tmp_path_factory,
                                                       fake):
    """Under load, kill -9 the scheduler and start it again.  Meta
    re-delivers what was not acknowledged -- and, at least once, some of
    what was: every acknowledged message is stored, none twice."""
    fake.reset()
    h = wh.start(tmp_path_factory, fake)
    try:
        sess = make_tenant(h, h.login())
        n = wh.connect(h, sess, fake)
        for k in range(6):          # every sender a candidate: timeline rows
            for i in range(20):
                make_candidate(h, sess,
                               whatsapp_number="+8190%04d%04d" % (k, i))
        tid = sess.tenant["id"]
        hook = h.url("/webhooks/whatsapp/%d" % n["id"])
        acked, failed = [], []
        lock = threading.Lock()
        stop = threading.Event()

        def sender(k):
            i = 0
            while not stop.is_set():
                ms = [fw.text_message("load %d.%d.%d" % (k, i, j),
                                      "8190%04d%04d" % (k, i % 20))
                      for j in range(3)]
                body = make_delivery([(fake.waba_id, [fw.messages_change(
                    fake.phone_number_id, fake.display_phone_number,
                    messages=ms)])])
                i += 1
                try:
                    ok = deliver(hook, body, fake.app_secret,
                                 timeout=10).status_code == 200
                except OSError:
                    ok = False
                with lock:
                    (acked if ok else failed).append((body, ms))

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            futs = [pool.submit(sender, k) for k in range(6)]
            time.sleep(1.0)
            h.kill_scheduler()
            time.sleep(0.5)
            h.start_scheduler()
            time.sleep(1.0)
            stop.set()
            for f in futs:
                f.result()

        assert len(acked) > 10, (len(acked), len(failed))
        for body, _ in failed + acked[:5]:
            r = deliver(hook, body, fake.app_secret, timeout=10)
            assert r.status_code == 200, r.text

        rows = q(h, "SELECT wamid, count(*) AS n FROM whatsapp_events"
                 " WHERE tenant_id = ? AND kind = 'message' GROUP BY wamid",
                 (tid,))
        stored = {r["wamid"]: r["n"] for r in rows}
        assert all(c == 1 for c in stored.values())
        want = {m["id"] for _, ms in acked + failed for m in ms}
        missing = {m["id"] for _, ms in acked for m in ms} - set(stored)
        assert not missing, "%d acknowledged messages lost" % len(missing)
        assert set(stored) == want
        rows = q(h, "SELECT whatsapp_event_id, count(*) AS n FROM messages"
                 " WHERE tenant_id = ? GROUP BY whatsapp_event_id", (tid,))
        assert len(rows) == len(want) and all(r["n"] == 1 for r in rows)
        print("acknowledged %d, refused during the outage %d"
              % (len(acked), len(failed)))
    finally:
        wh.finish(h)
