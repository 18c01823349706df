"""A fake WhatsApp Cloud API (Meta's Graph API) for the integration tests
(docs/whatsapp.md), on a free loopback port, pure standard library.

It answers the endpoints hrx calls the way Meta documents them (sources in
../shared/research/whatsapp-cloud-api.md and docs/whatsapp.md):

    GET /<version>/<phone number id>?fields=...     ("phone_number")
    GET /<version>/<waba id>/phone_numbers          ("waba_numbers")

Paths carry the Graph API version (``version``, hrx_whatsapp_api_version);
the access token comes as ``Authorization: Bearer`` (a token in the query
string is recorded, so a test can assert hrx never puts it there).  When
a request carries ``appsecret_proof`` Meta checks it: hex HMAC-SHA256 of
the token with the app's secret, else error 100 "Invalid appsecret_proof
provided in the API argument".

Errors are Meta's error object {"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}: 190 for a token Meta does not know, 100
subcode 33 for an object that does not exist or that the token cannot
read, 10 for a token without the permission.

The world it serves is on the object: ``waba_id``, ``phone_number_id``,
``access_token``, ``app_secret``, ``verify_token`` of one connected
number, and ``add_number()`` / ``add_waba()`` / ``add_token()`` for more.
``page_size`` makes /phone_numbers page with cursors (``paging.cursors
.after`` and ``paging.next``, as Meta does).

Failing on demand: ``fail_next("phone_number", 2, 500)``,
``fail_next("waba_numbers", 1, 400, code=4)`` (Meta's throttling),
``stall_next(name, n, seconds)``.

Webhooks: ``sign(app_secret, body)`` is the X-Hub-Signature-256 value
(``sha256=`` and lowercase hex); ``make_delivery`` / ``text_message`` /
``status`` build Meta-shaped bodies.
"""

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
from dataclasses import dataclass, field

VERSION = "v25.0"

_VERSION_RE = re.compile(r"^v\d+\.\d+$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bytes(v):
    return v.encode() if isinstance(v, str) else bytes(v)


def graph_id():
    """A Graph API id: 15-16 digits, as a string (never a JS number)."""
    return str(secrets.randbelow(9 * 10 ** 15) + 10 ** 15)


def appsecret_proof(app_secret, token):
    return hmac.new(_bytes(app_secret), _bytes(token),
                    hashlib.sha256).hexdigest()


def sign(app_secret, body):
    """X-Hub-Signature-256: sha256= and the lowercase hex HMAC-SHA256 of
    the raw body with the app secret."""
    return "sha256=" + hmac.new(_bytes(app_secret), _bytes(body),
                                hashlib.sha256).hexdigest()


def fbtrace_id():
    return secrets.token_urlsafe(15)


def graph_error(code, message, type="OAuthException", subcode=None):
    e = {"message": message, "type": type, "code": code,
         "fbtrace_id": fbtrace_id()}
    if subcode is not None:
        e["error_subcode"] = subcode
    return {"error": e}


# Meta's wording (Graph API errors)
def err_token():
    return 401, graph_error(190, "Invalid OAuth access token - Cannot "
                            "parse access token")


def err_proof():
    return 400, graph_error(100, "Invalid appsecret_proof provided in the "
                            "API argument", type="GraphMethodException")


def err_object(obj_id):
    return 400, graph_error(
        100, "Unsupported get request. Object with ID '%s' does not exist, "
        "cannot be loaded due to missing permissions, or does not support "
        "this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api" % obj_id,
        type="GraphMethodException", subcode=33)


def err_permission():
    return 403, graph_error(10, "(#10) Application does not have permission "
                            "for this action")


def err_version(v):
    return 400, graph_error(2635, "Unknown API version %s" % v)


# -- webhook bodies -----------------------------------------------------------

def _compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def wamid():
    return "wamid." + secrets.token_urlsafe(40)


def text_message(text, wa_id, *, id=None, timestamp=None, **extra):
    m = {"from": wa_id, "id": id or wamid(),
         "timestamp": str(int(timestamp if timestamp is not None
                              else time.time())),
         "type": "text", "text": {"body": text}}
    m.update(extra)
    return m


def status(wamid_, state, recipient, *, timestamp=None, errors=None):
    s = {"id": wamid_, "status": state,
         "timestamp": str(int(timestamp if timestamp is not None
                              else time.time())),
         "recipient_id": recipient}
    if errors:
        s["errors"] = errors
    return s


def messages_change(phone_number_id, display, messages=(), statuses=(),
                    contacts=None):
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": display,
                          "phone_number_id": phone_number_id}}
    if messages:
        value["messages"] = list(messages)
        value["contacts"] = contacts if contacts is not None else [
            {"profile": {"name": "Sheena Nelson"}, "wa_id": m["from"]}
            for m in messages]
    if statuses:
        value["statuses"] = list(statuses)
    return {"value": value, "field": "messages"}


def make_delivery(entries):
    """entries: [(waba_id, [change, ...]), ...] -> the raw body (bytes)."""
    return _compact({"object": "whatsapp_business_account",
                     "entry": [{"id": w, "changes": list(c)}
                               for w, c in entries]}).encode()


# -- what the fake records ----------------------------------------------------

@dataclass
class Request:
    endpoint: str
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    status: int = None
    at: float = field(default_factory=time.time)

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


class FakeWhatsApp:
    """See the module's docstring."""

    def __init__(self):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.api_url = self.url
        self.version = VERSION
        self.lock = threading.Lock()
        self.numbers = {}       # phone number id -> info
        self.wabas = {}         # waba id -> [phone number ids]
        self.tokens = {}        # token -> {"app_secret", "wabas", "perm"}
        self.requests = []
        self.page_size = 100
        self._scripts = {}
        self.reset()
        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        daemon=True)

    def reset(self):
        with self.lock:
            self.numbers.clear()
            self.wabas.clear()
            self.tokens.clear()
            self.requests.clear()
            self._scripts.clear()
            self.page_size = 100
        self.waba_id = self.add_waba()
        self.app_secret = secrets.token_hex(16)
        self.access_token = self.add_token(self.app_secret, [self.waba_id])
        self.phone_number_id = self.add_number(self.waba_id)
        self.verify_token = secrets.token_urlsafe(16)
        n = self.numbers[self.phone_number_id]
        self.display_phone_number = n["display_phone_number"]
        self.verified_name = n["verified_name"]

    # -- the world --------------------------------------------------------

    def add_waba(self):
        w = graph_id()
        with self.lock:
            self.wabas[w] = []
        return w

    def add_token(self, app_secret, wabas, perm=True):
        """A system-user token of the app whose secret is app_secret,
        assigned to wabas."""
        t = "EAA" + secrets.token_urlsafe(120).replace("-", "x")
        with self.lock:
            self.tokens[t] = {"app_secret": app_secret, "wabas": set(wabas),
                              "perm": perm}
        return t

    def add_number(self, waba_id, display=None, name="hrx 採用",
                   quality="GREEN"):
        p = graph_id()
        with self.lock:
            self.numbers[p] = {
                "id": p, "waba": waba_id,
                "display_phone_number": display
                or "+81 3-%04d-%04d" % (secrets.randbelow(10000),
                                        secrets.randbelow(10000)),
                "verified_name": name, "quality_rating": quality,
                "code_verification_status": "VERIFIED",
                "platform_type": "CLOUD_API",
                "throughput": {"level": "STANDARD"}}
            self.wabas[waba_id].append(p)
        return p

    # -- failures on demand --------------------------------------------------

    def fail_next(self, name, n, status, code=None, message="fake failure"):
        body = graph_error(code, message) if code is not None else \
            {"error": {"message": message, "type": "OAuthException",
                       "code": 2, "fbtrace_id": fbtrace_id()}}
        with self.lock:
            self._scripts.setdefault(name, []).extend(
                [("reply", status, body)] * n)

    def stall_next(self, name, n, seconds):
        with self.lock:
            self._scripts.setdefault(name, []).extend(
                [("stall", seconds, None)] * n)

    def _scripted(self, name):
        with self.lock:
            q = self._scripts.get(name)
            return q.pop(0) if q else None

    def received(self, name):
        with self.lock:
            return [r for r in self.requests if r.endpoint == name]

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- answering -----------------------------------------------------------

    def _auth(self, req):
        """(token info, None) or (None, error reply)."""
        h = req.header("authorization", "")
        token = h[7:] if h.startswith("Bearer ") else req.query.get(
            "access_token")
        info = self.tokens.get(token) if token else None
        if info is None:
            return None, err_token()
        proof = req.query.get("appsecret_proof")
        if proof is not None and not hmac.compare_digest(
                proof, appsecret_proof(info["app_secret"], token)):
            return None, err_proof()
        return info, None

    def answer(self, req):
        parts = [p for p in req.path.split("/") if p]
        if len(parts) == 2:
            req.endpoint = "phone_number"
        elif len(parts) == 3 and parts[2] == "phone_numbers":
            req.endpoint = "waba_numbers"
        else:
            return 400, graph_error(100, "Unknown path components: /%s"
                                    % "/".join(parts[1:]),
                                    type="OAuthException")
        if not _VERSION_RE.match(parts[0]) or parts[0] != self.version:
            return err_version(parts[0])
        s = self._scripted(req.endpoint)
        if s and s[0] == "stall":
            time.sleep(s[1])
        elif s:
            return s[1], s[2]
        if req.method != "GET":
            return 400, graph_error(100, "Unsupported post request.")
        info, e = self._auth(req)
        if e:
            return e
        with self.lock:
            if req.endpoint == "phone_number":
                n = self.numbers.get(parts[1])
                if n is None or n["waba"] not in info["wabas"]:
                    return err_object(parts[1])
                if not info["perm"]:
                    return err_permission()
                fields = (req.query.get("fields") or
                          "verified_name,code_verification_status,"
                          "display_phone_number,quality_rating,"
                          "platform_type,throughput").split(",")
                out = {k: n[k] for k in fields if k in n}
                out["id"] = n["id"]
                return 200, out
            w = self.wabas.get(parts[1])
            if w is None or parts[1] not in info["wabas"]:
                return err_object(parts[1])
            if not info["perm"]:
                return err_permission()
            limit = min(int(req.query.get("limit") or 25), self.page_size)
            start = int(req.query.get("after") or "0", 16) \
                if re.match(r"^[0-9a-f]+$", req.query.get("after") or "0") \
                else 0
            page = w[start:start + limit]
            fields = (req.query.get("fields") or "id").split(",")
            data = [{k: self.numbers[p][k] for k in fields
                     if k in self.numbers[p]} | {"id": p} for p in page]
            out = {"data": data, "paging": {"cursors": {
                "before": "%x" % start, "after": "%x" % (start + len(page))}}}
            if start + len(page) < len(w):
                out["paging"]["next"] = "%s/%s/%s/phone_numbers?after=%x" % (
                    self.url, parts[0], parts[1], start + len(page))
            return 200, out


def _handler(fake):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _do(self):
            u = urllib.parse.urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            req = Request(None, self.command, u.path,
                          dict(urllib.parse.parse_qsl(u.query)),
                          {k.lower(): v for k, v in self.headers.items()},
                          body)
            with fake.lock:
                fake.requests.append(req)
            status, obj = fake.answer(req)
            req.status = status
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _do

    return H


# -- sending deliveries as Meta does ------------------------------------------

class Response:
    def __init__(self, status, headers, content):
        self.status_code = status
        self.headers = headers
        self.content = content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


_AUTO = object()


def deliver(url, body, app_secret=None, signature=_AUTO, timeout=10,
            method="POST"):
    """POST a delivery to url (hrx's /webhooks/whatsapp/{id}) the way Meta
    does: signed with the app secret unless signature is given (None: no
    X-Hub-Signature-256 at all)."""
    body = _bytes(body)
    if signature is _AUTO:
        signature = sign(app_secret, body)
    h = {"Content-Type": "application/json",
         "User-Agent": "facebookexternalua"}
    if signature is not None:
        h["X-Hub-Signature-256"] = signature
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80,
                                      timeout=timeout)
    try:
        conn.request(method, u.path, body=body, headers=h)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                        r.read())
    finally:
        conn.close()


def template_status_change(template_id, name, event, reason="NONE",
                           language="ja"):
    """field message_template_status_update (no messaging_product, no
    metadata; the template id is a JSON integer)."""
    return {"value": {"event": event, "message_template_id": template_id,
                      "message_template_name": name,
                      "message_template_language": language,
                      "reason": reason,
                      "message_template_category": "UTILITY"},
            "field": "message_template_status_update"}


def make_template_delivery(waba_id, change, time_=None):
    return _compact({"object": "whatsapp_business_account", "entry": [
        {"id": waba_id, "time": int(time_ or time.time()),
         "changes": [change]}]}).encode()
