"""The outbox sender (docs/bulk-actions.md, "Outbox and delivery"):
rows put straight into the outbox table, delivered by the scheduler to
.eml files or to a real SMTP server (smtp_server.py), with the outcomes
checked in the table, in what the server received, and in the log."""

import email
import email.policy
import os
import re
import stat
import time
import uuid

import pytest

from resources import db_write
from smtp_server import free_port, smtp_server  # noqa: F401 (a fixture)

FAST = ["--retry-base-ms", "200"]


# -- helpers -------------------------------------------------------------------

def now_ms():
    return int(time.time() * 1000)


def wait_for(fn, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for %s (last: %r)" % (what, v))
        time.sleep(0.03)


def start(make_hrx, *args, smtp=None):
    extra = list(args)
    if smtp is not None and smtp.ca_file:
        extra += ["--ca-file", smtp.ca_file]
    h = make_hrx(scheduler_args=extra)
    h.start()
    return h


def tenant_id(h):
    with h.db() as con:
        return con.execute("SELECT id FROM tenants WHERE slug = 'default'").fetchone()[0]


def message(msgid, to, subject="Hello", body="Hi.\r\n"):
    """A complete message with CRLF line ends, as mime.c makes them."""
    return ("From: HR <hr@acme.test>\r\n"
            "To: %s\r\n"
            "Subject: %s\r\n"
            "Message-ID: %s\r\n"
            "Date: Sat, 21 Nov 2026 04:30:00 +0000\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "\r\n%s" % (to, subject, msgid, body)).encode()


def queue(h, to="cand@example.test", tenant=None, sender="hr@acme.test",
          body="Hi.\r\n", subject="Hello"):
    """An outbox row due now: (id, message_id, payload)."""
    import sqlite3
    msgid = "<t.%s@hrx.test>" % uuid.uuid4().hex
    payload = message(msgid, to, subject, body)
    con = sqlite3.connect(h.path("hrx.db"), timeout=10)
    try:
        with con:
            cur = con.execute(
                "INSERT INTO outbox (tenant_id, channel, recipient, sender,"
                " message_id, payload, next_attempt_at, created_at)"
                " VALUES (?, 'email', ?, ?, ?, ?, ?, ?)",
                (tenant if tenant is not None else tenant_id(h), to, sender,
                 msgid, payload, now_ms(), now_ms()))
            return cur.lastrowid, msgid, payload
    finally:
        con.close()


def mail_settings(h, tenant=None, **kw):
    row = {"transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": 25,
           "smtp_security": "none", "smtp_username": None,
           "from_email": "hr@acme.test"}
    row.update(kw)
    row["tenant_id"] = tenant if tenant is not None else tenant_id(h)
    row["updated_at"] = now_ms()
    cols = ", ".join(row)
    db_write(h, "INSERT OR REPLACE INTO mail_settings (%s) VALUES (%s)"
             % (cols, ", ".join("?" * len(row))), tuple(row.values()))


def smtp_for(srv, security="none", **kw):
    return dict(smtp_host="127.0.0.1", smtp_port=srv.port, smtp_security=security, **kw)


def row(h, oid):
    with h.db() as con:
        r = con.execute("SELECT * FROM outbox WHERE id = ?", (oid,)).fetchone()
        return dict(r)


def wait_state(h, oid, state, timeout=20):
    return wait_for(lambda: (lambda r: r if r["state"] == state else None)(row(h, oid)),
                    timeout, "outbox %d %s" % (oid, state))


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


# -- file transport ------------------------------------------------------------

def test_file_transport_writes_the_message_durably(make_hrx):
    h = start(make_hrx)
    oid, msgid, payload = queue(h, body="Line one.\r\n.A line with a dot.\r\n")
    r = wait_state(h, oid, "sent")
    assert r["attempts"] == 1 and r["sent_at"] >= r["created_at"]

    t = tenant_id(h)
    d = h.path("outbox", str(t))
    with open(os.path.join(d, "%d.eml" % oid), "rb") as f:
        assert f.read() == payload
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(d, "%d.eml" % oid)).st_mode) == 0o600
    assert not [n for n in os.listdir(d) if n.endswith(".tmp")]

    # transport 'file' set explicitly: the same
    mail_settings(h, transport="file", smtp_host=None, smtp_port=None,
                  smtp_security=None)
    oid2, _, payload2 = queue(h)
    wait_state(h, oid2, "sent")
    with open(os.path.join(d, "%d.eml" % oid2), "rb") as f:
        assert f.read() == payload2
    assert re.search(r"outbox %d sent \(tenant %d, attempt 1\)" % (oid2, t),
                     h.scheduler_log())


# -- SMTP ------------------------------------------------------------------------

def test_smtp_delivers_several_at_once(make_hrx, smtp_server):
    srv = smtp_server(starttls=False, delay=0.3)
    h = start(make_hrx, "--mail-concurrency", "4")
    mail_settings(h, **smtp_for(srv))

    sent = {}
    for i in range(10):
        to = "cand%d@example.test" % i
        # a line starting with '.': libcurl stuffs it, the server unstuffs it
        oid, msgid, payload = queue(h, to=to, subject="No. %d" % i,
                                    body="Dear %d,\r\n.hidden dot\r\nBye.\r\n" % i)
        sent[msgid] = (oid, to, payload)

    for oid, _, _ in sent.values():
        r = wait_state(h, oid, "sent")
        assert r["attempts"] == 1 and r["last_error"] is None

    msgs = srv.messages
    assert len(msgs) == 10
    assert 1 < srv.max_busy <= 4, srv.max_busy
    for m in msgs:
        parsed = parse(m.data)
        oid, to, payload = sent[parsed["Message-ID"]]
        assert m.mail_from == "hr@acme.test"
        assert m.rcpt_tos == [to]
        assert parsed["To"] == to
        assert m.data == payload
        assert ".hidden dot" in parsed.get_content()


def test_starttls_with_the_ca_file(make_hrx, smtp_server):
    srv = smtp_server(starttls=True)
    h = start(make_hrx, smtp=srv)
    mail_settings(h, **smtp_for(srv, "starttls"))
    oid, msgid, payload = queue(h)
    wait_state(h, oid, "sent")
    assert [m.data for m in srv.messages] == [payload]


def test_implicit_tls(make_hrx, smtp_server):
    srv = smtp_server(starttls=False, implicit_tls=True)
    h = start(make_hrx, smtp=srv)
    mail_settings(h, **smtp_for(srv, "tls"))
    oid, msgid, payload = queue(h)
    wait_state(h, oid, "sent")
    assert [m.data for m in srv.messages] == [payload]


def test_tls_certificate_is_verified(make_hrx, smtp_server):
    """Without --ca-file the self-signed certificate is not trusted: the
    message waits (a retry), it is never sent without a verified TLS."""
    srv = smtp_server(starttls=True)
    h = start(make_hrx, *FAST)
    mail_settings(h, **smtp_for(srv, "starttls"))
    oid, _, _ = queue(h)
    r = wait_for(lambda: (lambda r: r if r["attempts"] >= 1 else None)(row(h, oid)),
                 what="a first attempt")
    assert r["state"] == "queued"
    assert "certificate" in r["last_error"].lower(), r["last_error"]
    assert srv.messages == []


def test_starttls_required_never_falls_back_to_clear_text(make_hrx, smtp_server):
    srv = smtp_server(starttls=False)
    h = start(make_hrx, *FAST)
    mail_settings(h, **smtp_for(srv, "starttls"))
    oid, _, _ = queue(h)
    r = wait_for(lambda: (lambda r: r if r["attempts"] >= 1 else None)(row(h, oid)),
                 what="a first attempt")
    assert r["state"] == "queued" and r["last_error"]
    assert srv.messages == []


def put_mail_settings(h, body):
    """PUT /api/v1/settings/mail (the worker seals the password): None
    when this build has no such API yet."""
    s = h.login()
    r = s.put(h.url("/api/v1/settings/mail"), json=body, timeout=10)
    if r.status_code in (404, 405):
        return None
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("good", [True, False], ids=["right", "wrong"])
def test_starttls_auth_with_the_sealed_password(make_hrx, smtp_server, good):
    password = "s3cret-" + uuid.uuid4().hex
    srv = smtp_server(starttls=True, username="hrx-user", password=password)
    h = start(make_hrx, *FAST, "--max-attempts", "3", smtp=srv)
    body = {"transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": srv.port,
            "smtp_security": "starttls", "smtp_username": "hrx-user",
            "smtp_password": password if good else "not-" + password,
            "from_email": "hr@acme.test"}
    if put_mail_settings(h, body) is None:
        pytest.skip("PUT /api/v1/settings/mail is not in this build yet")

    oid, msgid, payload = queue(h)
    if good:
        wait_state(h, oid, "sent")
        assert [m.data for m in srv.messages] == [payload]
        assert [(a[1], a[2]) for a in srv.auth_attempts] == [(b"hrx-user", True)]
    else:
        # a refused login (535) is the settings, not the recipient: retried,
        # then failed with the server's words
        r = wait_state(h, oid, "failed")
        assert r["attempts"] == 3 and r["last_error"].startswith("535"), r
        assert srv.messages == []
    log = h.scheduler_log()
    assert password not in log


def seal(h, plain, tenant):
    """hrx_seal() done from the outside, to the documented format
    (shm/hrx_crypto.h): AES-256-GCM under HKDF-SHA256(master.key, info
    "hrx secrets v1"), nonce | ciphertext | tag, aad naming the row."""
    hkdf = pytest.importorskip("cryptography.hazmat.primitives.kdf.hkdf")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    aead = pytest.importorskip("cryptography.hazmat.primitives.ciphers.aead")
    with open(h.path("master.key"), "rb") as f:
        master = f.read()
    key = hkdf.HKDF(hashes.SHA256(), 32, None, b"hrx secrets v1").derive(master)
    nonce = os.urandom(12)
    aad = ("mail_settings.smtp_password:%d" % tenant).encode()
    return nonce + aead.AESGCM(key).encrypt(nonce, plain.encode(), aad)


def test_auth_with_a_password_sealed_to_the_format(make_hrx, smtp_server):
    """The scheduler's side of AUTH without the settings API: the right
    password, a wrong one (535: retried, then failed), and one sealed for
    another tenant (does not open: retried, never sent as is)."""
    password = "s3cret-" + uuid.uuid4().hex
    srv = smtp_server(starttls=True, username="hrx-user", password=password)
    h = start(make_hrx, *FAST, "--max-attempts", "3", smtp=srv)
    t = tenant_id(h)

    def settings(pw, tenant=t):
        mail_settings(h, **smtp_for(srv, "starttls", smtp_username="hrx-user",
                                    smtp_password=seal(h, pw, tenant)))

    settings(password)
    oid, _, payload = queue(h)
    wait_state(h, oid, "sent")
    assert [m.data for m in srv.messages] == [payload]
    assert [(a[1], a[2]) for a in srv.auth_attempts] == [(b"hrx-user", True)]

    settings("not-" + password)
    oid, _, _ = queue(h)
    r = wait_state(h, oid, "failed")
    assert r["last_error"] == "535 5.7.8 Authentication credentials invalid"
    assert r["attempts"] == 3

    settings(password, tenant=t + 1)
    oid, _, _ = queue(h)
    r = wait_for(lambda: (lambda r: r if r["attempts"] >= 1 else None)(row(h, oid)),
                 what="a first attempt")
    assert r["state"] == "queued"
    assert "does not open" in r["last_error"], r
    assert len(srv.auth_attempts) == 4 and len(srv.messages) == 1
    assert password not in h.scheduler_log()


# -- failures ------------------------------------------------------------------

@pytest.mark.parametrize("at", ["rcpt", "data"])
def test_4xx_is_retried_with_the_same_bytes(make_hrx, smtp_server, at):
    srv = smtp_server(starttls=False)
    h = start(make_hrx, "--retry-base-ms", "400")
    mail_settings(h, **smtp_for(srv))
    srv.fail_next(1, "451 4.3.0 Try again later", at=at)

    oid, msgid, payload = queue(h)
    r = wait_for(lambda: (lambda r: r if r["attempts"] == 1 else None)(row(h, oid)),
                 what="the first attempt")
    t = now_ms()
    if r["state"] == "queued":          # not yet retried: it waits ~400 ms
        assert r["last_error"] == "451 4.3.0 Try again later"
        assert t - 1000 < r["next_attempt_at"] <= t + 400

    r = wait_state(h, oid, "sent")
    assert r["attempts"] == 2
    assert r["last_error"] == "451 4.3.0 Try again later"   # history kept
    assert [m.data for m in srv.messages] == [payload]
    assert re.search(r"outbox %d attempt 1 of 8 did not go through, next in 400 ms: "
                     r"451 4\.3\.0 Try again later" % oid, h.scheduler_log())


@pytest.mark.parametrize("at,reply,text", [
    ("rcpt", "550 5.1.1 <nobody@example.test>: Recipient address rejected",
     "550 5.1.1 <nobody@example.test>: Recipient address rejected"),
    ("data", "554 5.7.1 Message rejected as spam",
     "554 5.7.1 Message rejected as spam"),
    ("data", "550-5.7.1 First line of the reason\r\n550 5.7.1 and its second line",
     "550 5.7.1 First line of the reason 5.7.1 and its second line"),
])
def test_5xx_fails_at_once_with_the_servers_text(make_hrx, smtp_server, at, reply, text):
    srv = smtp_server(starttls=False)
    h = start(make_hrx, *FAST)
    mail_settings(h, **smtp_for(srv))
    srv.fail_next(1, reply, at=at)

    oid, _, _ = queue(h, to="nobody@example.test")
    r = wait_state(h, oid, "failed")
    assert r["attempts"] == 1
    assert r["last_error"] == text
    assert r["sent_at"] is None
    assert srv.messages == []

    # the next message goes through: the failure was that message's only
    oid2, _, payload2 = queue(h)
    wait_state(h, oid2, "sent")
    assert [m.data for m in srv.messages] == [payload2]


def test_connection_refused_is_retried(make_hrx):
    h = start(make_hrx, *FAST)
    mail_settings(h, smtp_port=free_port())        # nobody listens there
    oid, _, _ = queue(h)
    r = wait_for(lambda: (lambda r: r if r["attempts"] >= 2 else None)(row(h, oid)),
                 what="two attempts")
    assert r["state"] == "queued"
    assert "connect" in r["last_error"].lower(), r["last_error"]
    assert r["next_attempt_at"] > r["created_at"]


def test_max_attempts_then_failed(make_hrx):
    h = start(make_hrx, "--retry-base-ms", "100", "--max-attempts", "3")
    mail_settings(h, smtp_port=free_port())
    oid, _, _ = queue(h)
    r = wait_state(h, oid, "failed")
    assert r["attempts"] == 3
    assert "connect" in r["last_error"].lower(), r["last_error"]
    log = h.scheduler_log()
    # the pause doubles: 100 ms, 200 ms, then failed
    assert re.search(r"outbox %d attempt 1 of 3 .* next in 100 ms" % oid, log)
    assert re.search(r"outbox %d attempt 2 of 3 .* next in 200 ms" % oid, log)
    assert re.search(r"outbox %d failed \(tenant \d+, delivery_failed after 3 "
                     r"attempts\)" % oid, log)


def test_a_stalled_server_times_out_and_commands_still_flow(make_hrx, smtp_server):
    srv = smtp_server(starttls=False)
    h = start(make_hrx, *FAST, "--smtp-timeout-ms", "1500")
    mail_settings(h, **smtp_for(srv))
    srv.stall_next(1)

    oid, _, payload = queue(h)
    wait_for(lambda: srv.stalled == 1, what="the transfer to stall")
    # while a transfer is in flight, the loop still applies commands at once
    s = h.login()
    t0 = time.time()
    r = s.post(h.url("/api/v1/labels"), json={"name": "lbl-" + uuid.uuid4().hex[:8]})
    assert r.status_code == 201, r.text
    assert time.time() - t0 < 0.5

    r = wait_for(lambda: (lambda r: r if r["attempts"] >= 1 else None)(row(h, oid)),
                 what="the timeout")
    assert "timed out" in r["last_error"].lower() or "timeout" in r["last_error"].lower(), r
    srv.release()
    r = wait_state(h, oid, "sent")
    assert r["attempts"] == 2
    assert [m.data for m in srv.messages] == [payload]


def test_a_failed_commit_keeps_the_outcome_and_sends_once(make_hrx, smtp_server):
    """The database refuses the outcome's commit (another writer holds the
    lock): the outcome stays in memory and is committed later; the
    message is not sent again meanwhile."""
    import sqlite3
    srv = smtp_server(starttls=False, delay=1.0)
    h = start(make_hrx, *FAST)
    mail_settings(h, **smtp_for(srv))
    oid, _, payload = queue(h)

    con = sqlite3.connect(h.path("hrx.db"), timeout=10, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    try:
        srv.wait_messages(1)
        wait_for(lambda: "cannot commit 1 outbox outcomes" in h.scheduler_log(),
                 what="a failed commit")
        time.sleep(1.5)
        assert row(h, oid)["state"] == "queued"
    finally:
        con.execute("ROLLBACK")
        con.close()

    r = wait_state(h, oid, "sent")
    assert r["attempts"] == 1
    assert [m.data for m in srv.messages] == [payload]
    assert "outbox outcomes commit again" in h.scheduler_log()
    h.expected_log.append("database is locked")


def test_a_clean_stop_abandons_a_stalled_transfer_at_once(make_hrx, smtp_server):
    srv = smtp_server(starttls=False)
    h = start(make_hrx)                 # --smtp-timeout-ms 60000
    mail_settings(h, **smtp_for(srv))
    srv.stall_next(1)
    oid, _, payload = queue(h)
    wait_for(lambda: srv.stalled == 1, what="the transfer to stall")

    t0 = time.time()
    assert h.stop_scheduler() == 0
    assert time.time() - t0 < 3
    r = row(h, oid)
    assert r["state"] == "queued" and r["attempts"] == 0
    assert "outbox: 1 attempts abandoned; their rows stay queued" in h.scheduler_log()

    srv.release()
    h.start_scheduler()
    wait_state(h, oid, "sent")
    assert [m.data for m in srv.messages] == [payload]


# -- crash ----------------------------------------------------------------------

def test_kill_9_with_transfers_in_flight(make_hrx, smtp_server):
    """The server has the stalled messages but never says so; the
    scheduler dies.  After the restart every row is sent, and only those
    that were in flight arrive twice -- byte for byte, same Message-ID."""
    srv = smtp_server(starttls=False)
    h = start(make_hrx, "--mail-concurrency", "8", "--smtp-timeout-ms", "30000")
    mail_settings(h, **smtp_for(srv))
    srv.stall_next(3, record=True)

    rows = [queue(h, to="c%d@example.test" % i) for i in range(12)]
    ids = [r[0] for r in rows]

    def settled():
        with h.db() as con:
            return con.execute("SELECT count(*) FROM outbox WHERE state = 'sent'"
                               ).fetchone()[0] == 9 and len(srv.messages) == 12
    wait_for(settled, what="9 sent and 3 stalled")
    with h.db() as con:
        in_flight = {r[0] for r in con.execute(
            "SELECT message_id FROM outbox WHERE state = 'queued'")}
    assert len(in_flight) == 3

    h.kill_scheduler()
    srv.release()
    h.start_scheduler()

    for oid in ids:
        wait_state(h, oid, "sent")
    msgs = srv.messages
    assert len(msgs) == 15
    by_id = {}
    for m in msgs:
        by_id.setdefault(parse(m.data)["Message-ID"], []).append(m.data)
    assert set(by_id) == {r[1] for r in rows}
    twice = {k for k, v in by_id.items() if len(v) > 1}
    assert twice == in_flight
    for _, msgid, payload in rows:
        assert all(d == payload for d in by_id[msgid])


# -- the command line -------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["--mail-concurrency", "0"], ["--mail-concurrency", "65"],
    ["--max-attempts", "0"], ["--retry-base-ms", "x"],
    ["--public-url", "ftp://x"], ["--public-url", "http://"],
    ["--mail-host", "bad host"],
])
def test_bad_mail_options_are_refused(tmp_path, args):
    import subprocess
    from hrx import SCHEDULER
    out = subprocess.run([SCHEDULER, "--data-dir", str(tmp_path)] + args,
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 2, out
    assert args[0] in out.stderr


def test_missing_ca_file_stops_the_start(make_hrx, tmp_path):
    h = make_hrx(scheduler_args=["--ca-file", str(tmp_path / "nope.pem")])
    h.init()
    p = h.start_scheduler(wait=False)
    assert p.wait(10) == 1
    assert "nope.pem" in h.scheduler_log()
    h.scheduler = None
