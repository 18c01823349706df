"""A real SMTP server for the tests, on aiosmtpd (python3-aiosmtpd).

It runs in a thread of the test process on a free loopback port and
records every message it accepts.  What it can do:

- STARTTLS with a self-signed certificate made with the openssl CLI for
  127.0.0.1 (its path, ``ca_file``, goes to the scheduler's --ca-file), or
  TLS from the first byte (``implicit_tls=True``, for security 'tls');
- AUTH PLAIN / LOGIN for one username and password, offered only after
  STARTTLS (``auth_require_tls``) and then required;
- failures on demand: reply a given 4xx or 5xx line to the next N
  messages, at RCPT or at DATA (``fail_next``); or stall the next N at
  DATA, having recorded them or not, until ``release()`` (``stall_next``)
  -- what a server that took a message but never said so looks like.

Use it through the ``smtp_server`` fixture, a factory:

    def test_x(smtp_server):
        srv = smtp_server(username="u", password="p")
        ... srv.port, srv.ca_file, srv.wait_messages(3), srv.messages ...
"""

import asyncio
import os
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

import pytest
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a
    day: (cert path, key path).  The certificate is its own CA."""
    cert = os.path.join(directory, "smtp-cert.pem")
    key = os.path.join(directory, "smtp-key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60)
    return cert, key


@dataclass
class Message:
    mail_from: str
    rcpt_tos: list
    data: bytes                     # the message as received (dots undone)
    at: float = field(default_factory=time.time)


@dataclass
class _Rule:
    count: int
    at: str                         # "rcpt" / "data"
    reply: str = ""                 # fail: the reply line
    stall: bool = False
    record: bool = False            # stall: record the message first


class _Handler:
    def __init__(self, server):
        self.srv = server

    async def handle_RCPT(self, server, session, envelope, address, options):
        rule = self.srv._take("rcpt")
        if rule is not None and not rule.stall:
            return rule.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rule = self.srv._take("data")
        if rule is not None and not rule.stall:
            return rule.reply
        msg = Message(envelope.mail_from, list(envelope.rcpt_tos),
                      bytes(envelope.original_content or envelope.content))
        if rule is not None:            # a stall
            if rule.record:
                self.srv._record(msg)
            await self.srv._stalled()
            # the client gave up long ago (or died): only a recorded
            # message counts as taken
            return "250 OK (late)" if rule.record else "421 4.4.2 stalled"
        with self.srv._lock:
            self.srv._busy += 1
            self.srv.max_busy = max(self.srv.max_busy, self.srv._busy)
        try:
            if self.srv.delay:
                await asyncio.sleep(self.srv.delay)
            self.srv._record(msg)
        finally:
            with self.srv._lock:
                self.srv._busy -= 1
        return "250 2.0.0 Ok: queued"


class SmtpServer:
    def __init__(self, workdir, starttls=True, implicit_tls=False,
                 username=None, password=None, delay=0.0,
                 stall_timeout=60.0):
        self.port = free_port()
        self.host = "127.0.0.1"
        self.username = username
        self.password = password
        self.delay = delay              # seconds each accepted DATA takes
        self.stall_timeout = stall_timeout
        self.max_busy = 0               # most DATA commands at once
        self.stalled = 0                # messages held by stall_next now
        self.auth_attempts = []         # (mechanism, login, success)
        self._busy = 0
        self._lock = threading.Lock()
        self._messages = []
        self._rules = []
        self._release = threading.Event()

        self.ca_file = None
        ctx = None
        if starttls or implicit_tls:
            self.ca_file, key = make_cert(str(workdir))
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.ca_file, key)

        kw = {}
        if implicit_tls:
            kw["ssl_context"] = ctx
        elif starttls:
            kw["tls_context"] = ctx
        if username is not None:
            kw["authenticator"] = self._authenticate
            kw["auth_required"] = True
            kw["auth_require_tls"] = True
        self.controller = Controller(_Handler(self), hostname=self.host,
                                     port=self.port, **kw)

    # -- control, from the test's thread ---------------------------------

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self._release.set()
        self.controller.stop()

    def fail_next(self, n, reply, at="rcpt"):
        """Reply `reply` (e.g. "451 4.3.0 try later") to the next n
        messages, at RCPT or at DATA."""
        assert at in ("rcpt", "data") and reply[:1] in ("4", "5")
        with self._lock:
            self._rules.append(_Rule(n, at, reply=reply))

    def stall_next(self, n, record=False):
        """Hold the next n messages at the end of DATA, without a reply,
        until release() (or stall_timeout).  record: count them as
        received first (the server has them; the client never learns);
        else they are dropped at the release."""
        self._release.clear()
        with self._lock:
            self._rules.append(_Rule(n, "data", stall=True, record=record))

    def release(self):
        self._release.set()

    @property
    def messages(self):
        with self._lock:
            return list(self._messages)

    def wait_messages(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msgs = self.messages
            if len(msgs) >= n:
                return msgs
            time.sleep(0.02)
        raise AssertionError("%d of %d messages arrived" % (len(self.messages), n))

    # -- inside the server's thread --------------------------------------

    def _take(self, at):
        with self._lock:
            for rule in self._rules:
                if rule.at == at and rule.count > 0:
                    rule.count -= 1
                    return rule
        return None

    def _record(self, msg):
        with self._lock:
            self._messages.append(msg)

    async def _stalled(self):
        with self._lock:
            self.stalled += 1
        deadline = time.time() + self.stall_timeout
        try:
            while not self._release.is_set() and time.time() < deadline:
                await asyncio.sleep(0.02)
        finally:
            with self._lock:
                self.stalled -= 1

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login == self.username.encode()
              and auth_data.password == self.password.encode())
        with self._lock:
            self.auth_attempts.append((mechanism, auth_data.login, ok))
        # handled=False: aiosmtpd then answers 535 itself
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(tmp_path_factory):
    """A factory of started SmtpServers, stopped after the test."""
    made = []

    def make(**kw):
        srv = SmtpServer(tmp_path_factory.mktemp("smtp"), **kw).start()
        made.append(srv)
        return srv
    yield make
    for srv in made:
        srv.stop()
