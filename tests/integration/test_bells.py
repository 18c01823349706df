"""Bells (shm/hrx_bell.h): the scheduler tells each worker which replies
are ready through a FIFO of its own, so a parked request is answered when
its batch is published rather than on a timer.  The metrics say which way
each reply was taken (hrx_replies_by_bell_total / _by_tick_total)."""
import os
import re
import signal
import stat
import time

import requests


def counters(h):
    text = requests.get(h.url("/api/v1/metrics")).text
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(hrx_\w+) (\d+)$", text, re.M)}


def bells(h):
    d = h.path("tmp")
    return sorted(n for n in os.listdir(d)
                  if n.startswith("bell.") and stat.S_ISFIFO(os.stat(os.path.join(d, n)).st_mode))


def commands(h, s, n, prefix):
    for i in range(n):
        r = s.post(h.url("/api/v1/tokens"), json={"name": "%s-%d" % (prefix, i)})
        assert r.status_code == 201, r.text


def test_each_worker_rings_its_own_bell(fresh_hrx):
    h = fresh_hrx
    s = h.login()
    commands(h, s, 3, "warm")          # both workers have mapped the shm
    assert len(bells(h)) >= 1
    before = counters(h)
    commands(h, s, 40, "bell")
    after = counters(h)
    by_bell = after["hrx_replies_by_bell_total"] - before["hrx_replies_by_bell_total"]
    by_tick = after["hrx_replies_by_tick_total"] - before["hrx_replies_by_tick_total"]
    assert by_bell + by_tick >= 40
    # a reply published between a park and the first tick can be found by
    # the tick; all the others came by the bell
    assert by_bell >= 30, (by_bell, by_tick)


def test_a_worker_started_after_a_kill_has_a_bell(fresh_hrx):
    """The new worker takes a free bell (or the dead one's when none is
    free: tests/unit/test_bell.c) and its replies come by the bell."""
    h = fresh_hrx
    s = h.login()
    tok = s.post(h.url("/api/v1/tokens"), json={"name": "bells"}).json()["token"]
    auth = {"Authorization": "Bearer " + tok}
    commands(h, s, 10, "warm")
    victim = h.worker_pids()[0]
    h.expected_log.append(r"worker process %d exited on signal 9" % victim)
    os.kill(victim, signal.SIGKILL)
    deadline = time.time() + 10
    while victim in h.worker_pids() or len(h.worker_pids()) < h.workers:
        assert time.time() < deadline, "nginx did not start a new worker"
        time.sleep(0.05)
    before = counters(h)
    # a connection each: the kernel spreads them over both workers
    for i in range(40):
        r = requests.post(h.url("/api/v1/tokens"), json={"name": "after-%d" % i},
                          headers=auth)
        assert r.status_code == 201, r.text
    after = counters(h)
    assert len(bells(h)) <= h.workers + 1
    assert after["hrx_replies_by_bell_total"] - before["hrx_replies_by_bell_total"] >= 30
