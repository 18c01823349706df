"""The two processes: health, metrics, the lock, signals, idle CPU, the
shm layout check, and 503 + recovery while the scheduler is away."""
import os
import re
import signal
import struct
import subprocess
import time
import uuid

import requests

from hrx import SCHEDULER


def test_health_reports_scheduler_ring_and_durable_sequence(hrx):
    r = requests.get(hrx.url("/api/v1/health"))
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok"
    assert h["scheduler"]["alive"] is True
    assert h["scheduler"]["pid"] == hrx.scheduler.pid
    assert h["ring"]["capacity_bytes"] > 0
    assert h["ring"]["depth_bytes"] >= 0
    assert isinstance(h["durable_sequence"], int)


def test_durable_sequence_moves_with_commands(hrx, admin):
    before = requests.get(hrx.url("/api/v1/health")).json()["durable_sequence"]
    assert admin.post(hrx.url("/api/v1/tokens"), json={"name": "seq"}).status_code == 201
    after = requests.get(hrx.url("/api/v1/health")).json()["durable_sequence"]
    assert after > before
    with hrx.db() as con:
        (pos,) = con.execute("SELECT value FROM meta WHERE key = 'ring_pos'").fetchone()
    assert pos == after


def metric(text, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    assert m, name
    return int(m.group(1))


def test_metrics_are_prometheus_text_from_shm_counters(hrx, admin):
    r = requests.get(hrx.url("/api/v1/metrics"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    t = r.text
    assert "# TYPE hrx_commands_applied_total counter" in t
    assert "# HELP hrx_commands_applied_total" in t
    assert metric(t, "hrx_scheduler_up") == 1
    applied = metric(t, "hrx_commands_applied_total")
    assert admin.post(hrx.url("/api/v1/tokens"), json={"name": "m"}).status_code == 201
    t2 = requests.get(hrx.url("/api/v1/metrics")).text
    assert metric(t2, "hrx_commands_applied_total") == applied + 1
    assert metric(t2, "hrx_commands_submitted_total") >= applied + 1


def test_init_prints_the_password_once(hrx):
    out = subprocess.run([SCHEDULER, "--data-dir", hrx.data, "--init"],
                         capture_output=True, text=True)
    # the running scheduler holds the lock: --init refuses, says why
    assert out.returncode != 0
    assert "another scheduler" in out.stderr
    assert hrx.admin_password not in out.stdout + out.stderr


def test_second_init_does_not_print_a_password(make_hrx):
    h = make_hrx()
    h.init()
    again = h.init()
    assert "password:" not in again.stdout
    assert "exists" in again.stdout
    assert os.stat(h.path("master.key")).st_mode & 0o777 == 0o600
    assert os.path.getsize(h.path("master.key")) == 32


def test_second_scheduler_refuses_and_says_why(hrx):
    out = subprocess.run([SCHEDULER, "--data-dir", hrx.data],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "another scheduler (pid %d)" % hrx.scheduler.pid in out.stderr


def test_uninitialised_data_dir_is_a_clear_error(tmp_path):
    out = subprocess.run([SCHEDULER, "--data-dir", str(tmp_path / "nope")],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "--init" in out.stderr


def test_idle_scheduler_does_not_burn_cpu(hrx):
    def cpu():
        with open("/proc/%d/stat" % hrx.scheduler.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    before = cpu()
    time.sleep(2)
    assert cpu() - before < 0.1


def test_scheduler_logs_under_logs_dir(hrx):
    assert "started" in open(hrx.path("logs", "scheduler.log")).read()


def test_sigterm_finishes_and_clears_pid(fresh_hrx):
    h = fresh_hrx
    s = h.login()
    assert s.post(h.url("/api/v1/tokens"), json={"name": "before stop"}).status_code == 201
    assert h.stop_scheduler(signal.SIGTERM) == 0
    assert "stopped" in open(h.path("logs", "scheduler.log")).read()
    r = requests.get(h.url("/api/v1/health"))
    assert r.status_code == 503
    assert r.json()["scheduler"]["alive"] is False


def test_503_within_a_second_while_stopped_reads_work_then_recovery(fresh_hrx):
    h = fresh_hrx
    s = h.login()
    h.stop_scheduler()
    t0 = time.time()
    r = s.post(h.url("/api/v1/tokens"), json={"name": "while down"})
    assert time.time() - t0 < 1.0
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    assert r.json()["error"]["code"] == "scheduler_unavailable"
    # reads keep working from SQLite
    assert s.get(h.url("/api/v1/tokens")).status_code == 200
    assert s.get(h.url("/api/v1/users")).status_code == 200
    # and the API recovers by itself
    h.start_scheduler()
    deadline = time.time() + 5
    while time.time() < deadline:
        r = s.post(h.url("/api/v1/tokens"), json={"name": "after restart"})
        if r.status_code == 201:
            break
        time.sleep(0.1)
    assert r.status_code == 201, r.text
    with h.db() as con:
        names = [x[0] for x in con.execute("SELECT name FROM api_tokens")]
    assert "after restart" in names and "while down" not in names


def test_503_after_kill_9_of_the_scheduler(fresh_hrx):
    h = fresh_hrx
    s = h.login()
    h.kill_scheduler()
    t0 = time.time()
    r = s.post(h.url("/api/v1/tokens"), json={"name": "after kill"})
    assert time.time() - t0 < 1.0 and r.status_code == 503


def test_shm_layout_mismatch_is_a_clear_startup_error(fresh_hrx):
    h = fresh_hrx
    h.stop_nginx()
    h.stop_scheduler()
    with open(h.path("hrx.shm"), "r+b") as f:
        f.seek(8)                      # magic (8 bytes), then layout_version
        f.write(struct.pack("<I", 999))
    out = subprocess.run([SCHEDULER, "--data-dir", h.data],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "layout version 999" in out.stderr
    # the module refuses the file too, says so, and mutating requests get 503
    h.start_nginx()
    r = requests.post(h.url("/api/v1/auth/login"),
                      json={"email": h.admin_email, "password": h.admin_password})
    assert r.status_code == 503
    assert "layout version 999" in h.error_log()
    os.unlink(h.path("hrx.shm"))
    h.start_scheduler()
    assert h.login().get(h.url("/api/v1/auth/session")).status_code == 200


def test_client_that_goes_away_while_parked(fresh_hrx):
    """The scheduler is paused so the request stays parked; the client
    closes; nginx cleans up and the command is still applied later."""
    import socket
    h = fresh_hrx
    s = h.login()
    h.scheduler.send_signal(signal.SIGSTOP)
    try:
        name = "parked-" + uuid.uuid4().hex[:6]
        body = '{"name": "%s"}' % name
        req = ("POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n"
               "Cookie: hrx_session=%s\r\nX-CSRF-Token: %s\r\n\r\n%s"
               % (len(body), s.cookies["hrx_session"],
                  s.headers["X-CSRF-Token"], body))
        c = socket.create_connection(("127.0.0.1", h.port))
        c.sendall(req.encode())
        time.sleep(0.3)
        c.close()
        time.sleep(0.3)
    finally:
        h.scheduler.send_signal(signal.SIGCONT)
    deadline = time.time() + 5
    while time.time() < deadline:
        with h.db() as con:
            if con.execute("SELECT 1 FROM api_tokens WHERE name = ?", (name,)).fetchone():
                break
        time.sleep(0.1)
    else:
        raise AssertionError("queued command was not applied")
    assert s.get(h.url("/api/v1/tokens")).status_code == 200


def test_clients_that_leave_while_their_work_is_on_the_thread_pool(fresh_hrx):
    """Login (scrypt) and search counts run on the thread pool; a client
    that closes meanwhile must leave nginx consistent (under make
    integration-san this also checks the terminated path for memory
    errors)."""
    import json
    import socket
    h = fresh_hrx
    s = h.login()
    login = json.dumps({"email": h.admin_email, "password": h.admin_password})
    count = json.dumps({"condition": {"field": "status", "op": "eq", "value": "applied"}})
    cookie = "hrx_session=%s" % s.cookies["hrx_session"]
    for i in range(20):
        path, body = (("/api/v1/auth/login", login) if i % 2 == 0
                      else ("/api/v1/searches/count", count))
        req = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n\r\n%s"
               % (path, len(body), cookie, s.headers["X-CSRF-Token"], body))
        c = socket.create_connection(("127.0.0.1", h.port))
        c.sendall(req.encode())
        # leave once the worker has read the request and posted the work
        # (a close sent with the request would not be noticed separately)
        time.sleep(0.01)
        c.close()
    time.sleep(1.0)
    assert s.get(h.url("/api/v1/auth/session")).status_code == 200
    r = s.post(h.url("/api/v1/searches/count"), json=json.loads(count))
    assert r.status_code == 200 and "count" in r.json()
    assert not h.log_problems()
    # nginx logs 499 for a request whose client left before the answer:
    # the terminated path was taken at least once
    with open(h.path("logs", "access.log")) as f:
        assert '" 499 ' in f.read()


def test_graceful_stop_waits_for_work_on_the_thread_pool(fresh_hrx):
    """nginx -s quit while logins (scrypt) wait on the thread pool: the
    worker finishes them before it exits instead of leaving their sockets
    open ("open socket left in connection")."""
    import json
    import socket
    h = fresh_hrx
    login = json.dumps({"email": h.admin_email, "password": h.admin_password})
    req = ("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
           "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
           % (len(login), login)).encode()
    conns = []
    for _ in range(24):            # several scrypt rounds queued per thread
        c = socket.create_connection(("127.0.0.1", h.port))
        c.sendall(req)
        conns.append(c)
    time.sleep(0.05)
    h.stop_nginx()
    answered = 0
    for c in conns:
        c.settimeout(5)
        try:
            answered += c.recv(64).startswith(b"HTTP/1.1 ")
        except OSError:
            pass
        c.close()
    assert not [p for p in h.log_problems() if "open socket" in p]
    assert answered == len(conns)
    h.start_nginx()


def test_graceful_stop_answers_parked_requests(fresh_hrx):
    """nginx -s quit while commands wait for the scheduler's reply (it is
    stopped with SIGSTOP, so they stay parked): the worker answers them
    (504 once their reply timeout passes) before it exits, instead of
    leaving their sockets open."""
    import signal
    import socket
    h = fresh_hrx
    s = h.login()
    body = b'{"name":"parked"}'
    req = (b"POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n"
           b"Cookie: hrx_session=%s\r\nX-CSRF-Token: %s\r\n\r\n%s"
           % (len(body), s.cookies["hrx_session"].encode(),
              s.headers["X-CSRF-Token"].encode(), body))
    h.scheduler.send_signal(signal.SIGSTOP)
    try:
        conns = []
        for _ in range(4):
            c = socket.create_connection(("127.0.0.1", h.port))
            c.sendall(req)
            conns.append(c)
        time.sleep(0.3)
        h.stop_nginx()
        answers = []
        for c in conns:
            c.settimeout(10)
            try:
                answers.append(c.recv(64).split(b"\r\n")[0])
            except OSError:
                answers.append(b"")
            c.close()
    finally:
        h.scheduler.send_signal(signal.SIGCONT)
    assert not [p for p in h.log_problems() if "open socket" in p]
    assert all(a.startswith(b"HTTP/1.1 ") for a in answers), answers
    h.start_nginx()
