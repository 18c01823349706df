"""Nothing acknowledged is lost, nothing is applied twice: kill -9 the
scheduler or an nginx worker in the middle of a storm of commands."""
import asyncio
import json
import resource
import threading
import time
import uuid

import requests

N = 2000


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 16384)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


async def one_post(port, path, headers, body, results, key):
    """One HTTP/1.1 request on its own connection; records the status
    (or the exception name when the connection breaks)."""
    data = json.dumps(body).encode()
    head = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1",
            "Content-Type: application/json", "Connection: close",
            "Content-Length: %d" % len(data)]
    head += ["%s: %s" % kv for kv in headers.items()]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)
        await asyncio.wait_for(reader.read(), 30)
        writer.close()
        results[key] = int(status_line.split()[1]) if status_line else "eof"
    except (OSError, asyncio.TimeoutError, IndexError, ValueError) as e:
        results[key] = type(e).__name__


def storm(port, path, headers, bodies, results, spread_s=1.0):
    """All requests in flight at once (their starts spread over spread_s so
    the kill lands in the middle of them)."""
    async def main():
        tasks = []
        for i, (key, body) in enumerate(bodies):
            tasks.append(asyncio.ensure_future(
                one_post(port, path, headers, body, results, key)))
            if i % 100 == 99:
                await asyncio.sleep(spread_s / (len(bodies) / 100))
        await asyncio.gather(*tasks)
    asyncio.run(main())


def bearer(h):
    s = h.login()
    tok = s.post(h.url("/api/v1/tokens"), json={"name": "storm"}).json()["token"]
    return {"Authorization": "Bearer " + tok}


def check_exactly_once(h, results, names):
    acked = [k for k, st in results.items() if st in (200, 201)]
    assert acked, results
    with h.db() as con:
        rows = con.execute("SELECT name, COUNT(*) FROM api_tokens WHERE name LIKE 'storm-%' "
                           "GROUP BY name").fetchall()
        counts = {r[0]: r[1] for r in rows}
        dup_pos = con.execute("SELECT ring_pos FROM audit_log WHERE ring_pos IS NOT NULL "
                              "GROUP BY ring_pos HAVING COUNT(*) > 1").fetchall()
    missing = [k for k in acked if counts.get(k) != 1]
    assert not missing, "acknowledged but not stored exactly once: %s" % missing[:10]
    assert all(c == 1 for c in counts.values()), "stored twice"
    assert not dup_pos, "a ring record was applied twice"
    assert set(counts) <= set(names)
    return len(acked)


def test_kill_9_scheduler_under_2000_concurrent_commands(fresh_hrx):
    raise_fd_limit()
    h = fresh_hrx
    headers = bearer(h)
    names = ["storm-%s-%d" % (uuid.uuid4().hex[:6], i) for i in range(N)]
    results = {}
    t = threading.Thread(target=storm, args=(
        h.port, "/api/v1/tokens", headers, [(n, {"name": n}) for n in names],
        results))
    t.start()
    # kill once a good part has been acknowledged
    deadline = time.time() + 20
    while time.time() < deadline:
        with h.db() as con:
            done = con.execute("SELECT COUNT(*) FROM api_tokens WHERE name LIKE 'storm-%'").fetchone()[0]
        if done >= N // 4:
            break
        time.sleep(0.01)
    h.kill_scheduler()
    time.sleep(0.2)
    h.start_scheduler()
    t.join(60)
    assert not t.is_alive()
    assert len(results) == N
    acked = check_exactly_once(h, results, names)
    assert acked >= N // 4
    # outcomes are only: acknowledged, refused (503), or unknown (504)
    assert set(v for v in results.values()) <= {201, 503, 504}, set(results.values())


def test_kill_9_nginx_worker_under_load(fresh_hrx):
    raise_fd_limit()
    h = fresh_hrx
    headers = bearer(h)
    names = ["storm-%s-%d" % (uuid.uuid4().hex[:6], i) for i in range(N)]
    results = {}
    t = threading.Thread(target=storm, args=(
        h.port, "/api/v1/tokens", headers, [(n, {"name": n}) for n in names],
        results))
    t.start()
    time.sleep(0.4)
    import os
    import signal
    victim = h.worker_pids()[0]
    # the master logs the worker we kill; expected here, not a problem
    h.expected_log.append(r"worker process %d exited on signal 9" % victim)
    os.kill(victim, signal.SIGKILL)
    t.join(60)
    assert not t.is_alive()
    check_exactly_once(h, results, names)
    # the ring is still usable: new commands go through
    s = h.login()
    for i in range(20):
        r = s.post(h.url("/api/v1/tokens"), json={"name": "after-kill-%d" % i})
        assert r.status_code == 201, r.text


def test_reply_of_a_batch_committed_just_before_a_crash(fresh_hrx):
    """The scheduler dies right after a COMMIT, before it wrote a single
    reply (--crash-after-commit).  The waiting request is still answered --
    by the restarted scheduler, from batch_replies -- with the outcome that
    was committed, and the command is in the database exactly once."""
    h = fresh_hrx
    headers = bearer(h)
    h.stop_scheduler()
    h.start_scheduler(extra=["--crash-after-commit", "1"])
    results = {}

    def post():
        r = requests.post(h.url("/api/v1/tokens"), json={"name": "after-crash"},
                          headers=headers, timeout=30)
        results["r"] = r

    t = threading.Thread(target=post)
    t.start()
    assert h.scheduler.wait(10) == 3, h.scheduler_log()
    h.expected_log.append(r"--crash-after-commit")
    with h.db() as con:
        assert con.execute("SELECT COUNT(*) FROM api_tokens WHERE name = 'after-crash'"
                           ).fetchone()[0] == 1
    assert t.is_alive(), "answered although no reply was published"
    h.scheduler = None
    h.start_scheduler()
    t.join(20)
    r = results["r"]
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "after-crash"
    with h.db() as con:
        assert con.execute("SELECT COUNT(*) FROM api_tokens WHERE name = 'after-crash'"
                           ).fetchone()[0] == 1
    assert "republished 1 of 1 stored replies" in h.scheduler_log()
