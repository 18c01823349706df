"""GET /api/v1/stream as server-sent events (docs/bulk-actions.md, "Live
progress"): authentication, the stream's headers and keepalives, the
session ending, the per-worker cap, clients going away, graceful
shutdown, a lapped reader, and a published bulk_action.progress event
reaching the right users only."""

import os
import queue
import socket
import threading
import time

import pytest
import requests

from bulk import World, FINISHED
from resources import err

URL = "/api/v1/stream"
SSE = {"Accept": "text/event-stream"}


class Stream:
    """An EventSource-like reader on a thread: events are dicts with
    "event"/"data" (or "comment" for a ": ..." line); None when the
    stream ended."""

    def __init__(self, hrx, sess, timeout=30):
        self.q = queue.Queue()
        self.r = sess.get(hrx.url(URL), headers=SSE, stream=True,
                          timeout=(5, timeout))
        self.t = None
        if self.r.status_code == 200:
            self.t = threading.Thread(target=self._read, daemon=True)
            self.t.start()

    def _read(self):
        ev = {}
        try:
            for line in self.r.iter_lines(decode_unicode=True):
                if line == "":
                    if ev:
                        self.q.put(ev)
                    ev = {}
                elif line.startswith(":"):
                    self.q.put({"comment": line[1:].strip()})
                else:
                    k, _, v = line.partition(":")
                    ev[k] = v[1:] if v.startswith(" ") else v
        except (requests.RequestException, AttributeError, ValueError):
            pass
        self.q.put(None)

    def next(self, pred=lambda e: True, timeout=10):
        """The first event (or comment) pred accepts; None if the stream
        ended first."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("nothing within %ss" % timeout)
            try:
                e = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if e is None or pred(e):
                return e

    def close(self):
        """Close at once: shut the socket down first, or r.close() waits
        for the reader thread's recv() to return (the next keepalive)."""
        sock = getattr(getattr(self.r.raw, "connection", None), "sock", None)
        if sock is None:        # the http.client response's socket
            fp = getattr(getattr(self.r.raw, "_fp", None), "fp", None)
            sock = getattr(getattr(fp, "raw", None), "_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.r.close()
        if self.t:
            self.t.join(5)
            assert not self.t.is_alive()


def streams(make_hrx, **kw):
    h = make_hrx(**kw)
    h.start()
    return h


def test_authentication(hrx):
    r = requests.get(hrx.url(URL), headers=SSE, timeout=5)
    err(r, 401, "unauthenticated")
    assert r.headers["Content-Type"].startswith("application/json")
    r = requests.get(hrx.url(URL), timeout=5,
                     headers=dict(SSE, Authorization="Bearer hrx_" + "A" * 43))
    err(r, 401, "unauthenticated")


def test_events_resource_list_is_not_the_stream(hrx, admin):
    # /api/v1/events is the recruiting events resource; the stream has
    # its own path whatever the client accepts
    r = admin.get(hrx.url("/api/v1/events"), headers=SSE)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert set(r.json()) == {"items", "next_after"}


def test_stream_headers_and_first_bytes(hrx, admin):
    s = Stream(hrx, admin)
    try:
        r = s.r
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/event-stream"
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["X-Accel-Buffering"] == "no"
        assert r.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in r.headers
        # sent at once, not held back by buffering
        hello = s.next(timeout=3)
        assert hello == {"comment": "hrx events"}
        assert s.next(timeout=3) == {"retry": "3000"}
    finally:
        s.close()


def test_api_token_may_listen(hrx, admin):
    tok = admin.post(hrx.url("/api/v1/tokens"), json={"name": "sse"}).json()["token"]
    sess = requests.Session()
    sess.headers["Authorization"] = "Bearer " + tok
    s = Stream(hrx, sess)
    try:
        assert s.r.status_code == 200
        assert s.next(timeout=3) == {"comment": "hrx events"}
    finally:
        s.close()


def test_keepalive_and_no_timeout_while_the_client_stays(make_hrx):
    # every nginx timeout far below the time the stream stays open
    h = streams(make_hrx, workers=1, extra_conf="""
        hrx_events_keepalive 300ms;
        send_timeout 1s; keepalive_timeout 1s; client_body_timeout 1s;
        client_header_timeout 1s;""")
    s = Stream(h, h.login())
    try:
        start = time.time()
        seen = []
        while time.time() - start < 3.5:
            e = s.next(lambda e: e.get("comment") == "keepalive", timeout=2)
            assert e is not None, "the stream ended"
            seen.append(time.time() - start)
        assert len(seen) >= 8, seen
        gaps = [b - a for a, b in zip(seen, seen[1:])]
        assert max(gaps) < 1.0, gaps
    finally:
        s.close()


def test_stream_ends_when_the_session_ends(make_hrx):
    h = streams(make_hrx, workers=1, extra_conf="hrx_events_keepalive 200ms;")
    sess = h.login()
    s = Stream(h, sess)
    try:
        assert s.next(lambda e: e.get("comment") == "keepalive", timeout=3)
        r = sess.post(h.url("/api/v1/auth/logout"))
        assert r.status_code == 204, r.text
        # the next keepalive finds the session gone and ends the stream
        assert s.next(lambda e: False, timeout=5) is None
    finally:
        s.close()


def test_cap_per_worker_and_clients_going_away(make_hrx):
    h = streams(make_hrx, workers=1, extra_conf="hrx_events_max 3;")
    sess = h.login()
    open_ = [Stream(h, sess) for _ in range(3)]
    extra = None
    try:
        for s in open_:
            assert s.r.status_code == 200
            assert s.next(timeout=3) == {"comment": "hrx events"}
        r = sess.get(h.url(URL), headers=SSE, timeout=5)
        err(r, 503, "busy")
        assert r.headers["Retry-After"]
        # the rest of the API is not affected by the cap
        assert sess.get(h.url("/api/v1/events")).status_code == 200

        # a client that goes away frees its place
        open_.pop().close()
        deadline = time.time() + 5
        while True:
            extra = Stream(h, sess)
            if extra.r.status_code == 200:
                break
            extra.close()
            assert time.time() < deadline, "the closed stream was never freed"
            time.sleep(0.1)
        assert extra.next(timeout=3) == {"comment": "hrx events"}
    finally:
        for s in open_ + ([extra] if extra else []):
            s.close()

    # many come and go: none is left behind
    for _ in range(40):
        s = Stream(h, sess)
        assert s.r.status_code == 200
        s.close()
    time.sleep(0.5)
    held = [Stream(h, sess) for _ in range(3)]
    try:
        assert [x.r.status_code for x in held] == [200, 200, 200]
    finally:
        for s in held:
            s.close()


def test_abrupt_disconnect_mid_stream(make_hrx):
    h = streams(make_hrx, workers=1,
                extra_conf="hrx_events_max 2; hrx_events_keepalive 100ms;")
    sess = h.login()
    cookie = sess.cookies.get("hrx_session")
    for _ in range(10):
        c = socket.create_connection(("127.0.0.1", h.port), timeout=5)
        c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                   "Cookie: hrx_session=%s\r\n\r\n" % (URL, cookie)).encode())
        assert c.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(0.15)        # a keepalive or two goes out
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()               # RST
    time.sleep(0.5)
    held = [Stream(h, sess) for _ in range(2)]
    try:
        assert [x.r.status_code for x in held] == [200, 200]
    finally:
        for s in held:
            s.close()


def test_graceful_shutdown_closes_open_streams(make_hrx):
    h = streams(make_hrx, workers=1)
    s = Stream(h, h.login())
    assert s.next(timeout=3) == {"comment": "hrx events"}
    t0 = time.time()
    h.stop_nginx()              # SIGQUIT: must not wait for the stream
    assert time.time() - t0 < 5
    assert s.next(lambda e: False, timeout=5) is None
    s.close()
    # conftest checks the error log: no "open socket left" alert


def test_a_new_shm_file_tells_readers_they_lapped(make_hrx):
    h = streams(make_hrx, workers=1)
    s = Stream(h, h.login())
    try:
        assert s.next(timeout=3) == {"comment": "hrx events"}
        h.stop_scheduler()
        os.remove(h.path("hrx.shm"))
        h.start_scheduler()
        e = s.next(lambda e: "event" in e, timeout=10)
        assert e == {"event": "lapped", "data": "{}"}, e
    finally:
        s.close()


def test_progress_event_reaches_the_tenant_and_the_reach_only(hrx):
    import json

    w = World(hrx)
    for i in range(3):
        w.cand(family_name="S%d" % i, email="s%d@cand.test" % i)
    a = w.create()
    other = World(hrx)
    mine = Stream(hrx, w.owner)
    theirs = Stream(hrx, other.owner)
    try:
        assert mine.next(timeout=3) == {"comment": "hrx events"}
        assert theirs.next(timeout=3) == {"comment": "hrx events"}
        w.make_due(a["id"])

        def final(e):
            if e.get("event") != "bulk_action.progress":
                return False
            j = json.loads(e["data"])
            return j["id"] == a["id"] and j["status"] in FINISHED
        e = mine.next(final, timeout=30)
        assert e is not None, "the stream ended"
        j = json.loads(e["data"])
        assert j["type"] == "bulk_action.progress"
        assert "tenant_id" not in j and "search_group_id" not in j, j
        assert (j["status"], j["hits"], j["reached"], j["failed"], j["pending"]) == \
            ("completed", 3, 3, 0, 0), j

        # another tenant hears nothing of it
        got = []
        while True:
            try:
                x = theirs.q.get(timeout=1.0)
            except queue.Empty:
                break
            if x is None:
                break
            got.append(x)
        assert not [x for x in got if "data" in x and
                    json.loads(x["data"]).get("id") == a["id"]], got
    finally:
        mine.close()
        theirs.close()
