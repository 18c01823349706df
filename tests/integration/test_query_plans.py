"""No statement's cost grows with history (docs/performance.md, "Query
plans"): every statement the scheduler and the module prepare -- the ones
the other tests of this session made them prepare, and the ones written
out in the sources -- is planned by SQLite on the real schema, and none may
scan a table that grows with use unless queryplan.ALLOWED says why it is
bounded.  The check itself is queryplan.py; it runs last (conftest.py)."""
import os
import re
import shutil

import pytest
import requests

import queryplan as qp
from hrx import BUILD, SCHEDULER

# Statements the tests of a module are known to make the processes prepare
# (regexes over the text): if one is missing from the capture, capture is
# broken and the check would pass on too little.  A module that did not
# run whole in this session (-k) asks for nothing.
CAPTURED_BY = {
    "test_auth.py": [
        r"^DELETE FROM sessions WHERE tenant_id = \?1 AND token_hash = \?2",
    ],
    "test_resources.py": [
        r"^SELECT t\.id, json_object\(.* ORDER BY t\.id LIMIT :limit$",
        r"^UPDATE \w+ SET .* WHERE tenant_id = :tenant AND id = :id$",
    ],
    "test_search.py": [
        r"^SELECT count\(\*\) FROM candidates c\b",
    ],
    "test_bulk_actions.py": [
        r"^WITH hit\(id\) AS \(SELECT c\.id FROM candidates c",
        r"^SELECT id FROM outbox WHERE state = 'queued'",
    ],
    "test_line_webhook.py": [
        r"^INSERT INTO messages \(.*\) SELECT .* FROM line_events e ",
        r"^SELECT id FROM line_deliveries WHERE parsed = 0",
    ],
    "test_query_plans.py": [
        r"^SELECT x\.user_id, x\.tenant_id, x\.expires_at, .* FROM sessions x",
        r"^INSERT INTO sessions ",
        r"^SELECT u\.id, u\.tenant_id, u\.status = 'active', u\.password_hash"
        r" FROM users u WHERE u\.email = \?1",
    ],
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """The schema of a real --init, with the stats of a database in use."""
    return qp.make_schema(SCHEDULER, str(tmp_path_factory.mktemp("qp")))


@pytest.fixture(scope="module")
def static():
    return qp.static_statements(BUILD)


def statement(static, pattern):
    hits = [s for s in static if re.search(pattern, s)]
    assert len(hits) == 1, (pattern, hits)
    return hits[0]


def test_every_prepare_goes_through_hrx_prepare():
    """A statement prepared anywhere else would escape the capture."""
    offenders = []
    for d in ("scheduler", "shm", "ngx_hrx_module"):
        for n in sorted(os.listdir(os.path.join(qp.TOP, d))):
            if not n.endswith((".c", ".h")) or n == "hrx_prepare.c":
                continue
            with open(os.path.join(qp.TOP, d, n)) as f:
                text = qp.uncomment(f.read())
            for m in re.finditer(r"\bsqlite3_prepare\w*", text):
                offenders.append("%s/%s: %s" % (d, n, m.group(0)))
            # sqlite3_exec prepares too: only transaction control and
            # pragmas, as literals (and store.c's migrations)
            for m in re.finditer(r"\bsqlite3_exec\s*\(\s*[^,]+,\s*([^,]+),",
                                 text):
                arg = m.group(1).strip()
                if re.match(r'"(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|'
                            r'RELEASE)\b', arg):
                    continue
                if n == "store.c" and arg in ("store_migrations[version]",
                                              "sql"):
                    continue
                offenders.append("%s/%s: sqlite3_exec(%s)" % (d, n, arg))
    assert not offenders, offenders


def test_the_check_sees_a_dropped_index(schema, static, tmp_path):
    """Without line_events_delivery the timeline of each LINE delivery
    scans all of line_events: the check must say so."""
    timeline = statement(static, r"^INSERT INTO messages .* FROM line_events"
                                 r" e .* WHERE e\.delivery_id = \?1")
    con = qp.open_schema(schema)
    assert qp.findings(qp.Schema(con), timeline) == []
    con.close()

    copy = str(tmp_path / "dropped.db")
    shutil.copy(schema, copy)
    rw = qp.sqlite3.connect(copy)
    rw.execute("DROP INDEX line_events_delivery")
    rw.commit()
    rw.close()
    con = qp.open_schema(copy)
    found = qp.findings(qp.Schema(con), timeline)
    con.close()
    assert [t for t, _ in found] == ["line_events"], found


def test_capture_sees_both_processes(fresh_hrx):
    """A login and a list: the worker's reads and the scheduler's
    session insert reach HRX_SQL_LOG."""
    s = fresh_hrx.login()
    assert s.get(fresh_hrx.url("/api/v1/tokens")).status_code == 200
    assert requests.get(fresh_hrx.url("/api/v1/health")).status_code == 200
    got = qp.read_log(os.environ["HRX_SQL_LOG"])
    for pattern in CAPTURED_BY["test_query_plans.py"]:
        assert any(re.search(pattern, x) for x in got), pattern


@pytest.mark.after_all
def test_no_statement_scans_a_growing_table(request, schema, static):
    captured = qp.read_log(os.environ["HRX_SQL_LOG"])

    partial = getattr(request.config, "hrx_partial_modules", set())
    ran = {i.fspath.basename for i in request.session.items} - partial
    missing = [(m, p) for m, pats in CAPTURED_BY.items() if m in ran
               for p in pats if not any(re.search(p, s) for s in captured)]
    assert not missing, "not captured: %s" % missing

    report = qp.check(schema, set(static) | captured)
    assert not report.errors, "\n".join(report.errors)
    assert not report.findings, "statements that scan a growing table " \
        "(index them, or add them to queryplan.ALLOWED with why they are " \
        "bounded):\n" + "\n".join(report.findings)
    assert not report.fk, "\n".join(report.fk)
    # a partial run may not have made an allowed statement
    everything = {n for n in os.listdir(os.path.dirname(__file__))
                  if n.startswith("test_") and n.endswith(".py")}
    if everything <= ran:
        assert not report.stale, "allow-list entries no statement needs " \
            "(remove them):\n" + "\n".join(report.stale)
