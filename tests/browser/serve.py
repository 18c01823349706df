"""Start a real hrx (nginx + hrx-scheduler) for the browser tests, with
the fake LINE (tests/integration/fake_line.py) it is pointed at.

Prints one JSON line on stdout: {"base", "email", "password", "data",
"line"}, then waits for EOF on stdin and stops everything.  The data
directory is a fresh temporary one, removed afterwards unless
HRX_KEEP_DATA=1.

"line" describes the fake LINE: its URL, the channels it knows (ids,
secrets, the access token, a token of another channel), the LINE user
who logs in, and "control", a small HTTP server on loopback through which
a node test reaches the fake:

    GET  /pushes    the pushes LINE accepted: [{"to","texts","retry_key"}]
    GET  /requests  {"<endpoint>": count} of what hrx called
    POST /deliver   {"url", "events": [{"type": "text", "text"} |
                    {"type": "sticker"|"image"|"file"|"follow"|"unfollow"},
                    ... (each may name "user_id")], "secret"?} → the
                    delivery made with fake_line's helpers, signed with the
                    channel secret, posted to url: {"status", "body"}
    POST /fail      {"endpoint", "n", "status", "message"?}: the next n
                    requests to that endpoint of the fake fail so
                    (FakeLine.fail_next)
    POST /reset     forget what was received and scripted

The LINE base URLs are only configured when the built binaries know the
directives (the LINE work lands piece by piece): nginx's
hrx_line_api_url / hrx_line_login_url / hrx_line_login_api_url and the
scheduler's --line-api-url.
"""

import http.server
import json
import os
import shutil
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from hrx import MODULE, SCHEDULER, Hrx  # noqa: E402
import fake_line as fl  # noqa: E402

OTHER_CHANNEL = "1650009999"
OTHER_TOKEN = "other-channel-token-" + "x" * 40


def knows(binary, word):
    try:
        with open(binary, "rb") as f:
            return word.encode() in f.read()
    except OSError:
        return False


def line_conf(url):
    lines = []
    for d in ("hrx_line_api_url", "hrx_line_login_url",
              "hrx_line_login_api_url"):
        if knows(MODULE, d):
            lines.append("        %s %s;" % (d, url))
    return "\n".join(lines)


def control_server(fake):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def answer(self, status, obj):
            data = json.dumps(obj, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/pushes":
                return self.answer(200, [
                    {"to": p.to, "texts": p.texts, "retry_key": p.retry_key}
                    for p in fake.pushes])
            if self.path == "/requests":
                counts = {}
                for r in fake.requests:
                    counts[r.endpoint or r.path] = \
                        counts.get(r.endpoint or r.path, 0) + 1
                return self.answer(200, counts)
            return self.answer(404, {"error": "no such control"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(n) or b"{}")
            if self.path == "/reset":
                fake.reset()
                return self.answer(200, {})
            if self.path == "/fail":
                fake.fail_next(body["endpoint"], int(body.get("n", 1)),
                               int(body["status"]),
                               message=body.get("message"))
                return self.answer(200, {})
            if self.path != "/deliver":
                return self.answer(404, {"error": "no such control"})
            events = []
            for e in body.get("events", []):
                kind, uid = e.get("type"), e.get("user_id")
                if kind == "text":
                    events.append(fake.text_event(e["text"], uid))
                elif kind in ("sticker", "image", "file", "follow",
                              "unfollow"):
                    events.append(getattr(fake, kind + "_event")(uid))
                else:
                    return self.answer(400, {"error": "event type %r" % kind})
            try:
                r = fake.deliver(body["url"], *events,
                                 secret=body.get("secret"))
            except OSError as e:
                return self.answer(502, {"error": str(e)})
            return self.answer(200, {"status": r.status_code,
                                     "body": r.text})

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True,
                     name="fake-line-control").start()
    return srv


def main():
    data = tempfile.mkdtemp(prefix="hrx-browser-")
    fake = fl.FakeLine().start()
    fake.add_access_token(OTHER_TOKEN, OTHER_CHANNEL)
    control = control_server(fake)
    sched = (["--line-api-url", fake.url]
             if knows(SCHEDULER, "line-api-url") else [])
    h = Hrx(os.path.join(data, "d"), workers=1,
            extra_conf=line_conf(fake.url), scheduler_args=sched)
    try:
        h.start()
        print(json.dumps({
            "base": h.base, "email": h.admin_email,
            "password": h.admin_password, "data": h.data,
            "line": {
                "url": fake.url,
                "control": "http://127.0.0.1:%d" % control.server_address[1],
                "channel_id": fake.channel_id,
                "channel_secret": fake.channel_secret,
                "access_token": fake.access_token,
                "login_channel_id": fake.login_channel_id,
                "login_channel_secret": fake.login_channel_secret,
                "other_channel_id": OTHER_CHANNEL,
                "other_token": OTHER_TOKEN,
                "user_id": fake.user_id,
                "bot_name": fake.bot_name,
                "bot_basic_id": fake.bot_basic_id,
            }}), flush=True)
        sys.stdin.read()
    finally:
        h.stop()
        control.shutdown()
        fake.stop()
        problems = h.log_problems()
        if problems:
            print("nginx error log:\n" + "\n".join(problems), file=sys.stderr)
        if os.environ.get("HRX_KEEP_DATA") != "1":
            shutil.rmtree(data, ignore_errors=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
