import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from hrx import Hrx  # noqa: E402


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
