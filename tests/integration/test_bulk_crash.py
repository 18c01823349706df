"""Crash safety of a bulk action's delivery (issue 4, docs/bulk-actions.md
"Outbox and delivery"): 3000 candidates mailed through a real SMTP
server, the scheduler killed with SIGKILL in the middle of sending and
started again.  Every candidate gets the mail; the only duplicates are
transfers that were in flight at the kill (at most --mail-concurrency),
each resent byte for byte with the same Message-ID; the action ends
completed with the right counts."""

import collections
import time

import pytest

import bulk
from bulk import World, parse, smtp_settings, wait_for
from smtp_server import smtp_server  # noqa: F401,F811 (a fixture)

N = 3000
CONCURRENCY = 8


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (/proc/<pid>/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.parametrize("when", ["sending", "at_t"])
def test_kill_9_during_a_3000_mail_action(make_hrx, smtp_server, when):
    """sending: once a third of the mail is out.  at_t: a moment after T,
    while the action is evaluated and its 3000 messages rendered (or, on a
    slow run, the first ones sent): whatever was interrupted, the restart
    finishes it exactly once."""
    bulk.require_option("--mail-concurrency")
    sink = smtp_server(starttls=False, delay=0.002)
    h = make_hrx(scheduler_args=bulk.sched_args(
        **dict(bulk.FAST, mail_concurrency=CONCURRENCY)))
    h.start()
    w = World(h)
    w.mail_settings(**smtp_settings(sink))
    ids = w.import_json([{"family_name": "Crash%04d" % i, "given_name": "Test",
                          "email": "crash%04d@cand.test" % i} for i in range(N)])
    a = w.create()
    assert a["estimate"] == N
    t0 = time.time()
    if when == "at_t":
        # the kill lands once the (otherwise idle) scheduler has spent 30 ms
        # of CPU after T: inside the evaluation and rendering of the 3000
        # messages, before their transaction commits
        pid = h.scheduler.pid
        base = cpu_ticks(pid)
        w.make_due(a["id"])
        wait_for(lambda: cpu_ticks(pid) - base >= 3, 10, 0.001, "the action to start")
    else:
        w.make_due(a["id"])
        wait_for(lambda: len(sink.messages) >= N // 3, 30, 0.005, "a third of the mail")
    h.kill_scheduler()
    at_kill = len(sink.messages)
    assert at_kill < N, "all mail was out before the kill: nothing was tested"
    with h.db() as con:
        row = dict(con.execute("SELECT * FROM bulk_actions WHERE id = ?",
                               (a["id"],)).fetchone())
        sent_at_kill = con.execute(
            "SELECT count(*) FROM outbox WHERE bulk_action_id = ? AND state = 'sent'",
            (a["id"],)).fetchone()[0]
        results = con.execute("SELECT count(*) FROM bulk_action_results"
                              " WHERE bulk_action_id = ?", (a["id"],)).fetchone()[0]
    # all or nothing: the running transaction committed whole, or not at all
    if row["status"] == "waiting":
        assert (row["hits"], results, sent_at_kill, at_kill) == (None, 0, 0, 0), row
    else:
        assert row["status"] == "running" and row["hits"] == N and results == N, row
    # every message the database says was sent did reach the server
    assert sent_at_kill <= at_kill

    h.start_scheduler()
    done = w.wait(a["id"], timeout=60)
    elapsed = time.time() - t0
    assert done["status"] == "completed", done
    assert done["counts"] == {"hits": N, "reached": N, "failed": 0, "pending": 0}
    assert done["late_ms"] is None or when == "at_t"

    got = [(m.mail_from, m.rcpt_tos, m.data) for m in sink.messages]
    by_rcpt = collections.defaultdict(list)
    for mail_from, rcpts, raw in got:
        assert len(rcpts) == 1, rcpts
        assert mail_from == "recruit@acme.test"
        by_rcpt[rcpts[0]].append(raw)
    want = {"crash%04d@cand.test" % i for i in range(N)}
    assert set(by_rcpt) == want, sorted(want - set(by_rcpt))[:10]
    dups = {r: raws for r, raws in by_rcpt.items() if len(raws) > 1}
    assert len(got) - N == sum(len(v) - 1 for v in dups.values())
    assert len(got) - N <= CONCURRENCY, (len(got) - N, sorted(dups)[:20])
    for rcpt, raws in dups.items():
        ids_seen = {parse(r)["Message-ID"] for r in raws}
        assert len(ids_seen) == 1, (rcpt, ids_seen)
        assert len(set(raws)) == 1, rcpt        # the same bytes
    # one Message-ID per candidate, the one the outbox holds
    with h.db() as con:
        rows = {r["recipient"]: (r["message_id"], r["state"], r["candidate_id"])
                for r in con.execute("SELECT * FROM outbox WHERE bulk_action_id = ?",
                                     (a["id"],))}
    assert len(rows) == N
    for rcpt, raws in by_rcpt.items():
        mid, state, cid = rows[rcpt]
        assert state == "sent" and parse(raws[0])["Message-ID"] == mid
        assert mid.startswith("<ba%d.c%d." % (a["id"], cid)), mid
    assert sorted(r[2] for r in rows.values()) == ids
    assert len(w.results(a["id"], "reached", limit=200)) == N
    print("\n  %d mails, kill -9 %s: status %s, %d accepted, %d duplicates, %.1f s in all"
          % (N, when, row["status"], at_kill, len(got) - N, elapsed))
