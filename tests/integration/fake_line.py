"""A fake LINE for the integration tests (docs/line.md): the Messaging API
and LINE Login on one free loopback port, pure standard library.

It runs a threaded http.server in the test process and answers the
endpoints hrx calls, the way LINE answers them (statuses, JSON shapes,
messages), from channels configured on the object:

    Messaging API   POST /v2/oauth/verify        ("verify")
                    POST /v2/oauth/accessToken   ("access_token")
                    GET  /v2/bot/info            ("bot_info")
                    POST /v2/bot/message/push    ("push")
    LINE Login      GET  /oauth2/v2.1/authorize  ("authorize")
                    POST /oauth2/v2.1/token      ("token")
                    GET  /v2/profile             ("profile")

Point all three hrx base URLs (hrx_line_api_url, hrx_line_login_url,
hrx_line_login_api_url) and the scheduler's --line-api-url at ``url``.

What it does besides answering:

- records every request it receives (``requests``, ``received(name)``),
  with headers (X-Line-Retry-Key among them), the raw body and the parsed
  form or JSON, and what it answered; accepted pushes also go to
  ``pushes``;
- remembers accepted X-Line-Retry-Keys: the same key again is
  ``409 {"message":"The retry key is already accepted"}``, as LINE does;
- plays a LINE user who consents on the authorize page (``user_id``,
  ``user_name``; ``consent=False`` cancels instead) and issues a
  single-use code, then an HS256 id_token signed with the login channel
  secret (``id_token_patch`` / ``id_token_secret`` / ``id_token_alg``
  spoil it on purpose);
- fails on demand, per endpoint, from a queue of scripted replies:
  ``fail_next("push", 2, 429, retry_after=1)``, ``fail_next("push", 1,
  500)``, ``fail_next("push", 1, 400, message="...")``,
  ``stall_next("push", 1, 3)``, ``close_next("push", 1)``, or any
  ``Reply`` through ``script()`` -- including ``Reply(status=500,
  process=True)``: LINE took the message but the client never learnt it.

And it sends webhook deliveries: ``deliver(hrx_url, fake.text_event("hi"))``
builds a LINE-shaped body (make_delivery) and signs it with the channel
secret (sign).

Use it as a context manager, or through the fixtures at the bottom:

    from fake_line import fake_line  # noqa: F401 (a fixture)

    def test_x(fake_line):
        fake_line.fail_next("push", 2, 429, retry_after=1)
        ... fake_line.wait_pushes(1) ...
"""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

import pytest

ISSUER = "https://access.line.me"
TEXT_MAX = 5000                     # UTF-16 code units, as LINE counts
PUSH_MAX = 5

ENDPOINTS = {
    "verify": ("POST", "/v2/oauth/verify"),
    "access_token": ("POST", "/v2/oauth/accessToken"),
    "bot_info": ("GET", "/v2/bot/info"),
    "push": ("POST", "/v2/bot/message/push"),
    "authorize": ("GET", "/oauth2/v2.1/authorize"),
    "token": ("POST", "/oauth2/v2.1/token"),
    "profile": ("GET", "/v2/profile"),
}
_BY_PATH = {path: name for name, (_, path) in ENDPOINTS.items()}

# LINE's own wording
MSG_AUTH_REQUIRED = ("Authorization header required. Must follow the "
                     "scheme, 'Authorization: Bearer <ACCESS TOKEN>'")
MSG_AUTH_FAILED = ("Authentication failed. Confirm that the access token "
                   "in the authorization header is valid.")
MSG_RETRY_ACCEPTED = "The retry key is already accepted"
MSG_RETRY_INVALID = "The value for the 'X-Line-Retry-Key' header is invalid"
MSG_RATE_LIMIT = "The API rate limit has been exceeded. Try again later."

_USER_ID = re.compile(r"^[UCR][0-9a-f]{32}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_AUTO = object()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_user_id():
    """A LINE user id: U and 32 lowercase hex digits."""
    return "U" + secrets.token_hex(16)


def utf16_len(text):
    """Characters as LINE counts them (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def now_ms():
    return int(time.time() * 1000)


# -- signatures and tokens ----------------------------------------------------

def _bytes(v):
    return v.encode() if isinstance(v, str) else bytes(v)


def sign(secret, body):
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body))."""
    mac = hmac.new(_bytes(secret), _bytes(body), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def b64url(data):
    return base64.urlsafe_b64encode(_bytes(data)).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def make_jwt(claims, secret, alg="HS256", header=None):
    """header.payload.signature, HMAC-SHA256 over the first two parts
    (whatever alg the header names: a lying header is for the tests)."""
    h = header if header is not None else {"typ": "JWT", "alg": alg}
    signing_input = b64url(_compact(h)) + "." + b64url(_compact(claims))
    mac = hmac.new(_bytes(secret), signing_input.encode(),
                   hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


def decode_jwt(token):
    """(header, claims, signature bytes) of a JWT, nothing verified."""
    h, p, s = token.split(".")
    return (json.loads(b64url_decode(h)), json.loads(b64url_decode(p)),
            b64url_decode(s))


# -- webhook deliveries -------------------------------------------------------

def new_webhook_event_id():
    """A ULID, as LINE's webhookEventId is: 26 characters of Crockford
    base32, 48 bits of milliseconds then 80 random bits -- so ids of later
    events sort later, as the store's index sees them in production."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    n = (now_ms() << 80) | secrets.randbits(80)
    return "".join(alphabet[(n >> (5 * i)) & 31] for i in range(25, -1, -1))


def _message_id():
    return str(secrets.randbelow(9 * 10 ** 17) + 10 ** 17)


def event(type, user_id, *, webhook_event_id=_AUTO, timestamp=None,
          redelivery=False, source=_AUTO, reply_token=_AUTO, **extra):
    """A webhook event object as LINE sends it.  webhook_event_id=None or
    source=None leave those out (an event with missing ids)."""
    ev = {"type": type, "mode": "active",
          "timestamp": now_ms() if timestamp is None else timestamp}
    if source is _AUTO:
        ev["source"] = {"type": "user", "userId": user_id}
    elif source is not None:
        ev["source"] = source
    if webhook_event_id is _AUTO:
        ev["webhookEventId"] = new_webhook_event_id()
    elif webhook_event_id is not None:
        ev["webhookEventId"] = webhook_event_id
    ev["deliveryContext"] = {"isRedelivery": bool(redelivery)}
    if reply_token is _AUTO:
        if type in ("message", "follow", "postback", "join", "beacon"):
            ev["replyToken"] = secrets.token_hex(16)
    elif reply_token is not None:
        ev["replyToken"] = reply_token
    ev.update(extra)
    return ev


def text_event(text, user_id, **kw):
    return event("message", user_id, message={
        "id": _message_id(), "type": "text",
        "quoteToken": secrets.token_urlsafe(24), "text": text}, **kw)


def sticker_event(user_id, package_id="446", sticker_id="1988", **kw):
    return event("message", user_id, message={
        "id": _message_id(), "type": "sticker",
        "quoteToken": secrets.token_urlsafe(24), "packageId": package_id,
        "stickerId": sticker_id, "stickerResourceType": "STATIC",
        "keywords": ["hello"]}, **kw)


def image_event(user_id, **kw):
    return event("message", user_id, message={
        "id": _message_id(), "type": "image",
        "quoteToken": secrets.token_urlsafe(24),
        "contentProvider": {"type": "line"}}, **kw)


def file_event(user_id, name="cv.pdf", size=12345, **kw):
    return event("message", user_id, message={
        "id": _message_id(), "type": "file", "fileName": name,
        "fileSize": size}, **kw)


def follow_event(user_id, **kw):
    return event("follow", user_id, follow={"isUnblocked": False}, **kw)


def unfollow_event(user_id, **kw):
    return event("unfollow", user_id, **kw)


def redelivered(ev):
    """The same event again (same webhookEventId), as LINE redelivers it."""
    ev = json.loads(json.dumps(ev))
    ev["deliveryContext"] = {"isRedelivery": True}
    ev.pop("replyToken", None)          # redeliveries carry none
    return ev


def make_delivery(*events, destination=None):
    """The raw body of a webhook delivery (UTF-8 JSON bytes, compact as
    LINE sends it).  No events: what the console's Verify button sends."""
    body = {"destination": destination or ("U" + "0" * 32),
            "events": list(events)}
    return _compact(body).encode()


class Response:
    """What an hrx URL answered to a delivery."""

    def __init__(self, status, headers, content):
        self.status_code = status
        self.headers = headers
        self.content = content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    def __repr__(self):
        return "<Response %d %r>" % (self.status_code, self.content[:200])


def send_delivery(url, body, secret=None, signature=_AUTO, headers=None,
                  timeout=10):
    """POST a delivery to url (hrx's /webhooks/line/{tenant}) the way LINE
    does.  signature: computed with secret unless given; None sends no
    X-Line-Signature at all."""
    body = _bytes(body)
    if signature is _AUTO:
        signature = sign(secret, body)
    h = {"Content-Type": "application/json; charset=utf-8",
         "User-Agent": "LineBotWebhook/2.0"}
    if signature is not None:
        h["X-Line-Signature"] = signature
    h.update(headers or {})
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80,
                                      timeout=timeout)
    try:
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        conn.request("POST", path, body=body, headers=h)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                        r.read())
    finally:
        conn.close()


# -- what the fake records and how it fails -----------------------------------

@dataclass
class Request:
    """One request the fake received."""
    endpoint: str                   # a key of ENDPOINTS, or None
    method: str
    path: str
    query: dict                     # name -> last value
    headers: dict                   # lowercase name -> value
    body: bytes
    form: dict = None               # for form posts: name -> last value
    json: object = None             # for JSON bodies that parse
    status: int = None              # what was answered; None: closed
    at: float = field(default_factory=time.time)

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


@dataclass
class Push:
    """A push LINE accepted."""
    to: str
    messages: list
    retry_key: str                  # None when the request had none
    request_id: str
    sent: list                      # the sentMessages answered
    headers: dict
    at: float = field(default_factory=time.time)

    @property
    def texts(self):
        return [m.get("text") for m in self.messages]


@dataclass
class Reply:
    """A scripted answer for the next request to an endpoint.

    Waits stall seconds first, then: close -- no answer, the connection
    is closed; status None -- the real answer (the handler runs after the
    wait); status -- that status with body (a dict goes as JSON, a str as
    HTML) and headers.  process: the real handler runs before the wait
    (a push is accepted, a code used up) whatever is answered after it:
    LINE did the work and the client never heard."""
    status: int = None
    body: object = None
    headers: dict = None
    stall: float = 0.0
    close: bool = False
    process: bool = False


def _default_body(endpoint, status, message=None):
    if endpoint in ("verify", "access_token", "token"):
        error = {400: "invalid_request", 401: "invalid_client"}.get(
            status, "server_error")
        return {"error": error,
                "error_description": message or "scripted failure"}
    if message is None:
        message = {400: "The request body has 1 error(s)",
                   401: MSG_AUTH_FAILED,
                   403: "Access to this API is not available for your "
                        "account",
                   429: MSG_RATE_LIMIT}.get(status, "Internal server error")
    return {"message": message}


class FakeLine:
    def __init__(self, *, channel_id="1650000001",
                 channel_secret="8c570fa6dd201bb328f1c1eac23a96d8",
                 access_token=None, login_channel_id="2001234567",
                 login_channel_secret="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                 bot_user_id=None, bot_basic_id="@123abcde",
                 bot_name="hrx Recruiting", user_id=None,
                 user_name="山田 太郎", callback_urls=None, consent=True,
                 stall_limit=60.0):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.url = "http://%s:%d" % (self.host, self.port)

        # Messaging API channel
        self.channel_id = channel_id
        self.channel_secret = channel_secret
        self.access_token = access_token or secrets.token_urlsafe(128)
        self.bot_user_id = bot_user_id or new_user_id()
        self.bot_basic_id = bot_basic_id
        self.bot_name = bot_name

        # LINE Login channel, and the user who logs in through it
        self.login_channel_id = login_channel_id
        self.login_channel_secret = login_channel_secret
        self.user_id = user_id or new_user_id()
        self.user_name = user_name
        self.consent = consent
        self.callback_urls = callback_urls    # None: any http(s) URL
        self.id_token_patch = {}              # claims to change (None: drop)
        self.id_token_secret = None           # None: the login secret
        self.id_token_alg = "HS256"           # only what the header says

        self.stall_limit = stall_limit

        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._requests = []
        self._pushes = []
        self._authorizations = []
        self._scripts = {}                    # endpoint -> [Reply]
        self._retry_keys = {}                 # key -> Push
        # access token -> channel id (tests add tokens of other channels)
        self._tokens = {self.access_token: self.channel_id}
        self._codes = {}                      # code -> dict
        self._login_tokens = {}               # access token -> (user, name)
        self._server = None
        self._thread = None

    # -- life -----------------------------------------------------------------

    @property
    def api_url(self):
        return self.url

    login_url = api_url
    login_api_url = api_url

    def start(self):
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server((self.host, self.port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-line", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()                # frees stalled handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        """Forget what was received and scripted (channels stay)."""
        with self._lock:
            self._requests.clear()
            self._pushes.clear()
            self._authorizations.clear()
            self._scripts.clear()
            self._retry_keys.clear()

    # -- configuration from the test ------------------------------------------

    def add_access_token(self, token, channel_id):
        """A token that verifies as another channel's: what
        access_token_mismatch is about."""
        with self._lock:
            self._tokens[token] = channel_id

    def revoke_access_token(self, token=None):
        with self._lock:
            self._tokens.pop(token or self.access_token, None)

    def script(self, endpoint, *replies):
        """Queue replies for the next requests to endpoint, in order."""
        assert endpoint in ENDPOINTS, endpoint
        with self._lock:
            self._scripts.setdefault(endpoint, []).extend(replies)

    def fail_next(self, endpoint, n, status, message=None, retry_after=None,
                  body=None, headers=None, process=False):
        """The next n requests to endpoint answer status (with a LINE-like
        body carrying message, and Retry-After when given)."""
        h = dict(headers or {})
        if retry_after is not None:
            h["Retry-After"] = str(retry_after)
        b = body if body is not None else _default_body(endpoint, status,
                                                        message)
        self.script(endpoint, *[Reply(status=status, body=b, headers=h,
                                      process=process) for _ in range(n)])

    def stall_next(self, endpoint, n, seconds, close=False, process=False):
        """The next n requests to endpoint wait seconds, then get their
        real answer (or, close, none at all)."""
        self.script(endpoint, *[Reply(stall=seconds, close=close,
                                      process=process) for _ in range(n)])

    def close_next(self, endpoint, n, process=False):
        """The next n requests to endpoint get no answer: the connection is
        closed (process: after the real handler ran)."""
        self.script(endpoint, *[Reply(close=True, process=process)
                                for _ in range(n)])

    def scripted_left(self, endpoint):
        with self._lock:
            return len(self._scripts.get(endpoint, []))

    # -- what was received ----------------------------------------------------

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def received(self, endpoint):
        with self._lock:
            return [r for r in self._requests if r.endpoint == endpoint]

    @property
    def pushes(self):
        with self._lock:
            return list(self._pushes)

    @property
    def authorizations(self):
        """The query of every authorize request (dicts)."""
        with self._lock:
            return list(self._authorizations)

    def wait_for(self, endpoint, n, timeout=20):
        """At least n requests to endpoint (answered or not)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.received(endpoint)
            if len(got) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError("%d of %d %s requests arrived"
                             % (len(self.received(endpoint)), n, endpoint))

    def wait_pushes(self, n, timeout=20):
        """At least n accepted pushes."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.pushes
            if len(got) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError("%d of %d pushes accepted"
                             % (len(self.pushes), n))

    # -- webhook deliveries ---------------------------------------------------

    def _uid(self, user_id):
        return self.user_id if user_id is None else user_id

    def text_event(self, text, user_id=None, **kw):
        return text_event(text, self._uid(user_id), **kw)

    def sticker_event(self, user_id=None, **kw):
        return sticker_event(self._uid(user_id), **kw)

    def image_event(self, user_id=None, **kw):
        return image_event(self._uid(user_id), **kw)

    def file_event(self, user_id=None, **kw):
        return file_event(self._uid(user_id), **kw)

    def follow_event(self, user_id=None, **kw):
        return follow_event(self._uid(user_id), **kw)

    def unfollow_event(self, user_id=None, **kw):
        return unfollow_event(self._uid(user_id), **kw)

    def make_delivery(self, *events):
        return make_delivery(*events, destination=self.bot_user_id)

    def sign(self, body):
        return sign(self.channel_secret, body)

    def deliver(self, url, *events, body=None, secret=None,
                signature=_AUTO, headers=None, timeout=10):
        """Send events (or a raw body) to url, signed with the channel
        secret (or secret, or the given signature; None: unsigned)."""
        if body is None:
            body = self.make_delivery(*events)
        return send_delivery(url, body, secret or self.channel_secret,
                             signature=signature, headers=headers,
                             timeout=timeout)

    # -- the id_token ---------------------------------------------------------

    def id_token_for(self, user_id, name, nonce, now=None):
        now = int(time.time()) if now is None else now
        claims = {"iss": ISSUER, "sub": user_id, "aud": self.login_channel_id,
                  "exp": now + 3600, "iat": now, "nonce": nonce,
                  "amr": ["linesso"], "name": name}
        for k, v in self.id_token_patch.items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        return make_jwt(claims, self.id_token_secret
                        or self.login_channel_secret, alg=self.id_token_alg)

    # -- inside the server's threads ------------------------------------------

    def _take_script(self, endpoint):
        with self._lock:
            q = self._scripts.get(endpoint)
            return q.pop(0) if q else None

    def _record(self, req):
        with self._lock:
            self._requests.append(req)

    def _stall(self, seconds):
        self._stop.wait(min(seconds, self.stall_limit))


class _Server(http.server.ThreadingHTTPServer):
    # the default backlog of 5 resets connections when hrx sends a burst
    request_queue_size = 128


class _Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1: keep-alive and "Expect: 100-continue" as libcurl uses them
    protocol_version = "HTTP/1.1"
    fake = None                         # set on the subclass per server

    def log_message(self, fmt, *args):
        pass

    # -- plumbing -------------------------------------------------------------

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _handle(self, method):
        u = urllib.parse.urlsplit(self.path)
        body = self._read_body()
        endpoint = _BY_PATH.get(u.path)
        req = Request(
            endpoint=endpoint, method=method, path=u.path,
            query=dict(urllib.parse.parse_qsl(u.query,
                                              keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body)
        ctype = req.header("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            req.form = dict(urllib.parse.parse_qsl(
                body.decode("utf-8", "replace"), keep_blank_values=True))
        elif body:
            try:
                req.json = json.loads(body)
            except ValueError:
                pass
        self.fake._record(req)

        if endpoint is None:
            return self._answer(req, 404, {"message": "Not found"})
        if ENDPOINTS[endpoint][0] != method:
            return self._answer(req, 405, {"message": "Method not allowed"})

        reply = self.fake._take_script(endpoint)
        if reply is None:
            return self._answer(req, *self._real(endpoint, req))

        real = self._real(endpoint, req) if reply.process else None
        if reply.stall:
            self.fake._stall(reply.stall)
        if reply.close:
            # nothing written: the client sees the connection end
            req.status = None
            self.close_connection = True
            return None
        if reply.status is None:
            return self._answer(req, *(real or self._real(endpoint, req)))
        return self._answer(req, reply.status, reply.body, reply.headers)

    def _answer(self, req, status, body=None, headers=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            data = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        else:
            data = body or b""
        req.status = status
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return None

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    # -- the endpoints: each returns (status, body[, headers]) ----------------

    def _real(self, endpoint, req):
        return getattr(self, "_ep_" + endpoint)(req)

    def _bearer(self, req):
        """(token, None) or (None, the 401 answer)."""
        auth = req.header("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return None, (401, {"message": MSG_AUTH_REQUIRED})
        return auth[7:].strip(), None

    def _channel_of(self, req):
        """The channel of a Messaging API bearer token, or the 401."""
        token, fail = self._bearer(req)
        if fail:
            return None, fail
        with self.fake._lock:
            channel = self.fake._tokens.get(token)
        if channel is None:
            return None, (401, {"message": MSG_AUTH_FAILED})
        return channel, None

    def _ep_verify(self, req):
        token = (req.form or {}).get("access_token", "")
        with self.fake._lock:
            channel = self.fake._tokens.get(token)
        if channel is None:
            return 400, {"error": "invalid_request",
                         "error_description": "access token expired"}
        return 200, {"scope": "P", "client_id": channel,
                     "expires_in": 2591999}

    def _ep_access_token(self, req):
        f = req.form or {}
        if f.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "unsupported grant_type"}
        f_id, f_secret = f.get("client_id", ""), f.get("client_secret", "")
        if not (hmac.compare_digest(f_id, self.fake.channel_id)
                and hmac.compare_digest(f_secret, self.fake.channel_secret)):
            return 400, {"error": "invalid_client",
                         "error_description": "invalid client_id or "
                                              "client_secret"}
        token = secrets.token_urlsafe(128)
        self.fake.add_access_token(token, self.fake.channel_id)
        return 200, {"access_token": token, "expires_in": 2592000,
                     "token_type": "Bearer"}

    def _ep_bot_info(self, req):
        channel, fail = self._channel_of(req)
        if fail:
            return fail
        f = self.fake
        if channel != f.channel_id:
            # another channel's bot: a fake knows only its own
            return 200, {"userId": new_user_id(), "basicId": "@other",
                         "displayName": "another bot", "chatMode": "chat",
                         "markAsReadMode": "manual"}
        return 200, {"userId": f.bot_user_id, "basicId": f.bot_basic_id,
                     "displayName": f.bot_name, "chatMode": "chat",
                     "markAsReadMode": "manual"}

    @staticmethod
    def _push_errors(body):
        """LINE's answer to an invalid push body, or None when valid."""
        if not isinstance(body, dict):
            return {"message": "The request body could not be parsed as "
                               "JSON"}
        details = []

        def need(prop):
            details.append({"message": "must be specified",
                            "property": prop})

        to = body.get("to")
        if to is None:
            need("to")
        elif not isinstance(to, str) or not _USER_ID.match(to):
            return {"message": "The property, 'to', in the request body is "
                               "invalid (line: -, column: -)"}
        msgs = body.get("messages")
        if msgs is None:
            need("messages")
        elif not isinstance(msgs, list):
            return {"message": "The property, 'messages', in the request "
                               "body is invalid (line: -, column: -)"}
        elif not 1 <= len(msgs) <= PUSH_MAX:
            details.append({"message": "Size must be between 1 and %d"
                                       % PUSH_MAX, "property": "messages"})
        else:
            for i, m in enumerate(msgs):
                p = "messages[%d]" % i
                if not isinstance(m, dict) or m.get("type") is None:
                    need(p + ".type")
                    continue
                if m["type"] != "text":
                    return {"message": "The property, '%s.type', in the "
                                       "request body is invalid (line: -, "
                                       "column: -)" % p}
                t = m.get("text")
                if t is None or t == "":
                    need(p + ".text")
                elif not isinstance(t, str):
                    return {"message": "The property, '%s.text', in the "
                                       "request body is invalid (line: -, "
                                       "column: -)" % p}
                elif utf16_len(t) > TEXT_MAX:
                    details.append({"message": "Length must be between 0 "
                                               "and %d" % TEXT_MAX,
                                    "property": p + ".text"})
        if details:
            return {"message": "The request body has %d error(s)"
                               % len(details), "details": details}
        return None

    def _ep_push(self, req):
        channel, fail = self._channel_of(req)
        if fail:
            return fail
        if channel != self.fake.channel_id:
            return 401, {"message": MSG_AUTH_FAILED}

        key = req.header("x-line-retry-key")
        if key is not None and not _UUID.match(key):
            return 400, {"message": MSG_RETRY_INVALID}

        ctype = req.header("content-type", "")
        if not ctype.startswith("application/json"):
            return 415, {"message": "The content type, '%s', is not "
                                    "supported" % ctype}
        try:
            body = json.loads(req.body)
        except ValueError as e:
            return 400, {"message": "The request body could not be parsed "
                                    "as JSON (line: %d, column: %d)"
                                    % (getattr(e, "lineno", 0),
                                       getattr(e, "colno", 0))}

        # one lock for check and accept: two tries with one key race here
        f = self.fake
        with f._lock:
            if key is not None and key.lower() in f._retry_keys:
                first = f._retry_keys[key.lower()]
                return 409, {"message": MSG_RETRY_ACCEPTED,
                             "sentMessages": first.sent}, {
                    "X-Line-Accepted-Request-Id": first.request_id}
            errors = self._push_errors(body)
            if errors is not None:
                return 400, errors
            sent = [{"id": _message_id(),
                     "quoteToken": secrets.token_urlsafe(24)}
                    for _ in body["messages"]]
            push = Push(to=body["to"], messages=body["messages"],
                        retry_key=key, request_id=str(uuid.uuid4()),
                        sent=sent, headers=dict(req.headers))
            f._pushes.append(push)
            if key is not None:
                f._retry_keys[key.lower()] = push
        return 200, {"sentMessages": sent}, {
            "X-Line-Request-Id": push.request_id}

    def _ep_authorize(self, req):
        f = self.fake
        q = req.query
        with f._lock:
            f._authorizations.append(dict(q))

        # what LINE cannot send back to the client: an error page
        redirect = q.get("redirect_uri", "")
        if q.get("client_id") != f.login_channel_id:
            return 400, "<h1>400 Bad Request</h1><p>Invalid client_id</p>"
        if (not redirect.startswith(("http://", "https://"))
                or (f.callback_urls is not None
                    and redirect not in f.callback_urls)):
            return 400, ("<h1>400 Bad Request</h1><p>Invalid redirect_uri "
                         "value</p>")

        def back(**params):
            params["state"] = q.get("state", "")
            sep = "&" if "?" in redirect else "?"
            return 302, b"", {"Location": redirect + sep
                              + urllib.parse.urlencode(params)}

        scope = q.get("scope", "").split(" ")
        problem = None
        if q.get("response_type") != "code":
            problem = "response_type must be code"
        elif not q.get("state"):
            problem = "state is required"
        elif not q.get("nonce"):
            problem = "nonce is required"      # hrx always sends one
        elif "openid" not in scope or "profile" not in scope:
            problem = "scope must include profile and openid"
        elif q.get("bot_prompt") not in (None, "normal", "aggressive"):
            problem = "bot_prompt must be normal or aggressive"
        if problem:
            return back(error="invalid_request", error_description=problem)

        if not f.consent:
            return back(error="access_denied",
                        error_description="The resource owner denied the "
                                          "request.")

        code = secrets.token_urlsafe(16)
        with f._lock:
            f._codes[code] = {"client_id": q["client_id"],
                              "redirect_uri": redirect, "nonce": q["nonce"],
                              "user_id": f.user_id, "name": f.user_name,
                              "expires": time.time() + 600}
        return back(code=code)

    def _ep_token(self, req):
        f = self.fake
        form = req.form or {}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "unsupported grant_type"}
        if not (hmac.compare_digest(form.get("client_id", ""),
                                    f.login_channel_id)
                and hmac.compare_digest(form.get("client_secret", ""),
                                        f.login_channel_secret)):
            return 400, {"error": "invalid_client",
                         "error_description": "invalid client_id or "
                                              "client_secret"}
        with f._lock:
            # single use: gone on the first try, right or wrong
            grant = f._codes.pop(form.get("code", ""), None)
        if (grant is None or grant["expires"] < time.time()
                or grant["redirect_uri"] != form.get("redirect_uri")):
            return 400, {"error": "invalid_grant",
                         "error_description": "invalid authorization code"}
        token = secrets.token_urlsafe(64)
        with f._lock:
            f._login_tokens[token] = (grant["user_id"], grant["name"])
        return 200, {"access_token": token, "expires_in": 2592000,
                     "id_token": f.id_token_for(grant["user_id"],
                                                grant["name"],
                                                grant["nonce"]),
                     "refresh_token": secrets.token_urlsafe(32),
                     "scope": "profile openid", "token_type": "Bearer"}

    def _ep_profile(self, req):
        token, fail = self._bearer(req)
        if fail:
            return fail
        with self.fake._lock:
            who = self.fake._login_tokens.get(token)
        if who is None:
            return 401, {"message": "invalid token"}
        return 200, {"userId": who[0], "displayName": who[1],
                     "pictureUrl": "https://profile.line-scdn.net/x",
                     "statusMessage": ""}


# -- fixtures -----------------------------------------------------------------

@pytest.fixture
def fake_line():
    """A started FakeLine with the default channels, stopped after the
    test."""
    with FakeLine() as f:
        yield f


@pytest.fixture
def make_fake_line():
    """A factory of started FakeLines (FakeLine's keyword arguments)."""
    made = []

    def make(**kw):
        f = FakeLine(**kw).start()
        made.append(f)
        return f
    yield make
    for f in made:
        f.stop()
