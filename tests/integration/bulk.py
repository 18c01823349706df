"""Helpers for the bulk-action tests (docs/bulk-actions.md): a tenant with
the users, groups and objects an action references, actions made due by
moving their run_at into the past, the mail they produced (file
transport or an SMTP server) parsed with the email package, and the
server-sent event stream."""

import calendar
import email
import email.policy
import functools
import glob
import http.client
import json
import os
import queue
import re
import socket
import subprocess
import threading
import time

import cand
from hrx import Hrx, SCHEDULER
from resources import uniq, make_tenant, make_user, post, db_write

FULL = ["candidates.operate_other", "bulk_actions.manage"]
PUBLIC_URL = "http://hrx.test:8080"
FINISHED = ("completed", "completed_with_failures", "error")
EVERYONE = {"field": "family_name", "op": "exists", "value": True}


# -- time --------------------------------------------------------------------

def now_ms():
    return int(time.time() * 1000)


def floor_minute(ms):
    return ms - ms % 60000


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def later(minutes=30):
    """A valid T: a whole minute well beyond now + 10 min."""
    return iso(floor_minute(now_ms() + minutes * 60000))


def parse_iso(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) * 1000


def wait_for(fn, timeout=20, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out after %ss waiting for %s (last: %r)"
                                 % (timeout, what, v))
        time.sleep(interval)


# -- the scheduler's options ---------------------------------------------------

_HELP = None


def scheduler_options():
    global _HELP
    if _HELP is None:
        out = subprocess.run([SCHEDULER, "--help"], capture_output=True, text=True)
        _HELP = set(re.findall(r"(--[a-z][a-z0-9-]+)", out.stdout + out.stderr))
    return _HELP


def sched_args(**opts):
    """--name value pairs for the options this scheduler has (the contract's
    options land one by one): unknown ones are left out, so the tests that
    do not need them still run; a test that needs one asserts it."""
    have = scheduler_options()
    args = []
    for k, v in opts.items():
        name = "--" + k.replace("_", "-")
        if name in have:
            args += [name, str(v)]
    return args


def require_option(name):
    assert name in scheduler_options(), \
        "hrx-scheduler has no %s (docs/bulk-actions.md)" % name


MAIL_HOST = "mail.hrx.test"
FAST = dict(public_url=PUBLIC_URL, mail_host=MAIL_HOST, retry_base_ms=200,
            max_attempts=3, mail_concurrency=8)


def start(tmp_path_factory, **opts):
    h = Hrx(tmp_path_factory.mktemp("hrx"), scheduler_args=sched_args(**opts))
    h.start()
    return h


def finish(h):
    """As conftest's: stop, and fail on alerts or sanitizer reports."""
    h.stop()
    problems = h.log_problems()
    assert not problems, "nginx error log:\n" + "\n".join(problems)
    reports = h.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports)


# -- a tenant to work in -------------------------------------------------------

class World:
    """A tenant of its own (BA-3 counts per tenant) with:
    owner (users.admin: reaches everything), planner (operate_other +
    bulk_actions.manage, in master group M), and, made on first use,
    only_manage / only_operate (one of the two permissions each) and viewer
    (no permission), both in M;
    master group O holds the grants that hide objects from M's members.
    sg: an open search group; tpl: an open template; all: a saved search
    of every candidate of the tenant."""

    def __init__(self, h, mail=None):
        self.h = h
        self.owner = make_tenant(h, h.login())
        self.tid = self.owner.tenant["id"]
        self.M = self.post("master-groups", {"name": uniq("M")})["id"]
        self.O = self.post("master-groups", {"name": uniq("O")})["id"]
        self.role_full = self.role(FULL)
        self.planner = make_user(h, self.owner, role_id=self.role_full, groups=[self.M])
        self.sg = self.post("search-groups", {"name": uniq("sg")})["id"]
        self.all = self.search(EVERYONE)
        self.tpl = self.template("Hello {candidate.given_name|there}",
                                 "Dear {氏名}\n{company.name}")
        if mail:
            self.mail_settings(**mail)

    # the other users, made when first used (a sign-in hashes a password)
    @functools.cached_property
    def only_manage(self):
        return make_user(self.h, self.owner, groups=[self.M],
                         role_id=self.role(["bulk_actions.manage"]))

    @functools.cached_property
    def only_operate(self):
        return make_user(self.h, self.owner, groups=[self.M],
                         role_id=self.role(["candidates.operate_other"]))

    @functools.cached_property
    def viewer(self):
        return make_user(self.h, self.owner, groups=[self.M], role_id=self.role([]))

    # objects
    def post(self, path, body, sess=None):
        return post(self.h, sess or self.owner, path, body)

    def role(self, perms):
        return self.post("roles", {"name": uniq("role"), "permissions": perms})["id"]

    def hide(self, kind, id):
        """Grant object (kind, id) to master group O only: M's members (the
        planner) no longer reach it."""
        g = self.owner.get(self.h.url("/api/v1/master-groups/%d" % self.O)).json()
        grants = g.get("grants", []) + [{"type": kind, "id": id}]
        r = self.owner.patch(self.h.url("/api/v1/master-groups/%d" % self.O),
                             json={"grants": grants})
        assert r.status_code == 200, r.text

    def search(self, cond=EVERYONE, group=None, sess=None):
        return self.post("saved-searches", {
            "search_group_id": group or self.sg, "name": uniq("s"),
            "condition": cond}, sess)["id"]

    def template(self, subject, body_text, body_html=None):
        body = {"name": uniq("tpl"), "subject": subject, "body_text": body_text}
        if body_html is not None:
            body["body_html"] = body_html
        return self.post("templates", body)["id"]

    def label(self):
        return self.post("labels", {"name": uniq("lb")})["id"]

    def event(self, published=True, group=None, capacity=10, dates=1):
        group = group or self.post("event-groups", {"name": uniq("eg")})["id"]
        ev = self.post("events", {
            "event_group_id": group, "title": "Seminar", "published": published,
            "dates": [{"starts_at": iso(now_ms() + (30 + i) * 86400000),
                       "capacity": capacity} for i in range(dates)]})
        return ev["id"], group

    def form(self):
        return self.post("forms", {"name": uniq("form"), "questions": [
            {"key": "q1", "label": "Why us?", "type": "text"}]})["id"]

    def cand(self, **fields):
        return cand.make(self.h, self.owner, **fields)

    def import_json(self, rows):
        r = self.owner.post(self.h.url("/api/v1/candidates/import"),
                            data=json.dumps({"candidates": rows}),
                            headers={"Content-Type": "application/json"}, timeout=120)
        assert r.status_code == 201, r.text[:2000]
        j = r.json()
        return list(range(j["first_id"], j["last_id"] + 1))

    def mail_settings(self, **kw):
        body = dict({"transport": "file", "from_email": "recruit@acme.test",
                     "from_name": "採用チーム", "reply_to": "reply@acme.test"}, **kw)
        r = self.owner.put(self.h.url("/api/v1/settings/mail"), json=body)
        assert r.status_code == 200, r.text
        return r.json()

    # bulk actions
    def body(self, **kw):
        b = {"name": uniq("ba"), "kind": "message", "run_at": later(),
             "saved_search_id": self.all, "template_id": self.tpl}
        b.update(kw)
        return {k: v for k, v in b.items() if v is not ...}

    def create(self, sess=None, **kw):
        r = (sess or self.planner).post(self.url(), json=self.body(**kw))
        assert r.status_code == 201, r.text
        return r.json()

    def url(self, id=None, sub=""):
        return self.h.url("/api/v1/bulk-actions%s%s" % (
            "" if id is None else "/%s" % id, sub))

    def get(self, id, sess=None):
        r = (sess or self.owner).get(self.url(id))
        assert r.status_code == 200, r.text
        return r.json()

    def patch(self, id, sess=None, **kw):
        return (sess or self.planner).patch(self.url(id), json=kw)

    def row(self, id):
        with self.h.db() as con:
            r = con.execute("SELECT * FROM bulk_actions WHERE id = ?", (id,)).fetchone()
            return dict(r) if r else None

    def stored(self):
        """bulk_actions rows of the tenant."""
        with self.h.db() as con:
            return con.execute("SELECT count(*) FROM bulk_actions WHERE tenant_id = ?",
                               (self.tid,)).fetchone()[0]

    def make_due(self, id, late_ms=1000):
        """T moves into the past: the scheduler's next turn runs it."""
        db_write(self.h, "UPDATE bulk_actions SET run_at = ? WHERE id = ?",
                 (now_ms() - late_ms, id))

    def wait(self, id, statuses=FINISHED, timeout=30):
        return wait_for(lambda: (lambda a: a if a["status"] in statuses else None)(
            self.get(id)), timeout, 0.1, "bulk action %s to be %s" % (id, statuses))

    def run(self, id, timeout=30):
        self.make_due(id)
        return self.wait(id, timeout=timeout)

    def results(self, id, state=None, sess=None, limit=None):
        items, after = [], None
        while True:
            q = []
            if state:
                q.append("state=" + state)
            if after is not None:
                q.append("after=%d" % after)
            if limit:
                q.append("limit=%d" % limit)
            r = (sess or self.owner).get(self.url(id, "/results" + (
                "?" + "&".join(q) if q else "")))
            assert r.status_code == 200, r.text
            page = r.json()
            items += page["items"]
            after = page["next_after"]
            if after is None:
                return items

    def dry_run(self, sess=None, **kw):
        b = self.body(**kw)
        b.pop("run_at")
        r = (sess or self.planner).post(self.url(None, "/dry-run"), json=b)
        assert r.status_code == 200, r.text
        return r.json()

    def outbox(self, id):
        with self.h.db() as con:
            return [dict(r) for r in con.execute(
                "SELECT * FROM outbox WHERE bulk_action_id = ? ORDER BY id", (id,))]

    def file_mails(self):
        """Messages the file transport wrote for this tenant, by outbox id."""
        out = {}
        for p in glob.glob(self.h.path("outbox", str(self.tid), "*.eml")):
            with open(p, "rb") as f:
                raw = f.read()
            m = out[int(os.path.basename(p)[:-4])] = parse(raw)
            m.raw = raw
        return out


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def texts(msg):
    """(text/plain, text/html or None) of a message."""
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    def norm(part):
        return part.get_content().replace("\r\n", "\n") if part else None
    return norm(plain), norm(html)


def label_ids(h, sess, cid):
    r = sess.get(h.url("/api/v1/candidates/%d" % cid))
    assert r.status_code == 200, r.text
    return r.json()["label_ids"]


# -- server-sent events ----------------------------------------------------------

class EventStream:
    """GET /api/v1/stream read on a thread; collect() parses what arrived.
    The path is also the list of recruiting events: the stream is what
    an EventSource asks for, Accept: text/event-stream.  http.client on a
    socket of our own, so that close() ends the read at once."""

    def __init__(self, h, sess):
        self.q = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=60)
        cookie = "; ".join("%s=%s" % (c.name, c.value) for c in sess.cookies)
        self.conn.request("GET", "/api/v1/stream", headers={
            "Accept": "text/event-stream", "Cookie": cookie})
        self.sock = self.conn.sock          # the response takes it over
        self.r = self.conn.getresponse()
        assert self.r.status == 200, self.r.read()
        assert self.r.getheader("Content-Type").startswith("text/event-stream"), \
            self.r.getheaders()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        ev = {}
        try:
            while True:
                raw = self.r.readline()
                if not raw:
                    break
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if "data" in ev:            # (a "retry:" alone is no event)
                        self.q.put(ev)
                    ev = {}
                elif line.startswith(":"):
                    self.q.put({"comment": line})
                else:
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    if k == "data" and "data" in ev:
                        v = ev["data"] + "\n" + v
                    ev[k] = v
        except (OSError, ValueError, http.client.HTTPException):
            pass
        self.q.put(None)

    def collect(self, until, timeout=30):
        """Events (dicts: event, data parsed) until until(events) is true."""
        got = []
        deadline = time.time() + timeout
        while not until(got):
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no such events within %ss: %r" % (timeout, got))
            try:
                ev = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if ev is None:
                raise AssertionError("event stream ended: %r" % got)
            if "comment" in ev:
                continue
            if "data" in ev:
                ev["json"] = json.loads(ev["data"])
            got.append(ev)
        return got

    def drain(self, wait=0.5):
        got = []
        deadline = time.time() + wait
        while True:
            left = deadline - time.time()
            if left <= 0:
                return got
            try:
                ev = self.q.get(timeout=left)
            except queue.Empty:
                return got
            if ev is None:
                return got
            if "data" in ev:
                ev["json"] = json.loads(ev["data"])
                got.append(ev)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.t.join(5)
        self.conn.close()


# -- the SMTP server (smtp_server.py) --------------------------------------------

class _ByRecipient:
    """Wraps an SmtpServer's handler (aiosmtpd finds hooks with dir(), so
    each is spelled out): the replies of replies[address] are
    given, one per attempt, to the RCPTs of that address (the server's own
    fail_next() goes by arrival order, which concurrent transfers make
    unpredictable); attempts counts the RCPTs of each address."""

    def __init__(self, inner, replies):
        self.inner = inner
        self.replies = replies
        self.attempts = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        return await self.inner.handle_DATA(server, session, envelope)

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self.lock:
            self.attempts[address] = self.attempts.get(address, 0) + 1
            todo = self.replies.get(address)
            reply = todo.pop(0) if todo else None
        if reply:
            return reply
        return await self.inner.handle_RCPT(server, session, envelope, address, options)


def by_recipient(srv, replies):
    """Per-recipient failures on srv (a started SmtpServer); returns the
    wrapper, whose attempts count RCPTs per address."""
    h = _ByRecipient(srv.controller.handler, replies)
    srv.controller.handler = h          # for the connections made from now on
    return h


def smtp_settings(srv, **kw):
    return dict({"transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": srv.port,
                 "smtp_security": "starttls" if srv.ca_file else "none"}, **kw)

