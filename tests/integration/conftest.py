import os
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from hrx import Hrx  # noqa: E402


def pytest_configure(config):
    """Every process of the session records the SQL it prepares
    (HRX_SQL_LOG, shm/hrx_prepare.h) for test_query_plans.py.  A value
    already in the environment is kept (and the file left for a look)."""
    config.addinivalue_line("markers", "after_all: run after every other "
                            "test of the session")
    if os.environ.get("HRX_SQL_LOG"):
        config.hrx_sql_log_own = None
        return
    fd, path = tempfile.mkstemp(prefix="hrx-sql-", suffix=".log")
    os.close(fd)
    os.environ["HRX_SQL_LOG"] = path
    config.hrx_sql_log_own = path


def pytest_unconfigure(config):
    path = getattr(config, "hrx_sql_log_own", None)
    if path:
        os.environ.pop("HRX_SQL_LOG", None)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def pytest_deselected(items):
    """Modules not run whole (-k, -m): test_query_plans.py does not expect
    their statements in the capture."""
    for i in items:
        i.config.hrx_partial_modules = getattr(
            i.config, "hrx_partial_modules", set()) | {i.fspath.basename}


def pytest_collection_modifyitems(session, config, items):
    """The query-plan test checks what the others made the processes
    prepare, so it runs last."""
    last = [i for i in items if i.get_closest_marker("after_all")]
    items[:] = [i for i in items if not i.get_closest_marker("after_all")] \
        + last


def _start(tmp_path_factory, **kw):
    h = Hrx(tmp_path_factory.mktemp("hrx"), **kw)
    h.start()
    return h


def _finish(h):
    h.stop()
    problems = h.log_problems()
    assert not problems, "nginx error log:\n" + "\n".join(problems)
    reports = h.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports)


@pytest.fixture(scope="module")
def hrx(tmp_path_factory):
    """One running hrx shared by the tests of a module: they must not
    depend on each other's state beyond what they create themselves."""
    h = _start(tmp_path_factory)
    yield h
    _finish(h)


@pytest.fixture
def fresh_hrx(tmp_path_factory):
    """A running hrx of the test's own, for tests that stop or kill things."""
    h = _start(tmp_path_factory)
    yield h
    _finish(h)


@pytest.fixture
def make_hrx(tmp_path_factory):
    """Build an hrx with options; started and stopped by the test."""
    made = []

    def make(**kw):
        h = Hrx(tmp_path_factory.mktemp("hrx"), **kw)
        made.append(h)
        return h
    yield make
    for h in made:
        _finish(h)


@pytest.fixture
def admin(hrx):
    return hrx.login()
