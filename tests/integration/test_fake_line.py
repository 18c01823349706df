"""The fake LINE itself (fake_line.py), without hrx: what it answers and
records, so that the LINE tests stand on a pinned behaviour (LN-1, LN-2,
LN-3, LN-11, LN-13).  Quick: no hrx is started."""

import concurrent.futures
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.parse
import uuid

import pytest
import requests

import fake_line as fl
from fake_line import FakeLine, Reply
from fake_line import fake_line, make_fake_line  # noqa: F401 (fixtures)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def push(f, body, key=None, token=None, timeout=10):
    h = bearer(token or f.access_token)
    if key is not None:
        h["X-Line-Retry-Key"] = key
    return requests.post(f.url + "/v2/bot/message/push", json=body,
                         headers=h, timeout=timeout)


def text_push(f, *texts, to=None):
    return {"to": to or f.user_id,
            "messages": [{"type": "text", "text": t} for t in texts]}


# -- signatures and tokens ----------------------------------------------------

def test_sign_matches_the_known_vectors():
    # LINE's Node.js SDK test, and the vector of tests/unit/test_line.c
    assert (fl.sign("test_secret", b'{"hello":"world"}')
            == "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=")
    claims = {"iss": "https://access.line.me",
              "sub": "U1234567890abcdef1234567890abcdef",
              "aud": "1234567890", "exp": 1700003600, "iat": 1700000000,
              "nonce": "0987654321fedcba", "amr": ["pwd"],
              "name": "Taro Line"}
    assert fl.make_jwt(claims, "a1b2c3d4e5f60718293a4b5c6d7e8f90") == (
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
        "eyJpc3MiOiJodHRwczovL2FjY2Vzcy5saW5lLm1lIiwic3ViIjoiVTEyMzQ1Njc4"
        "OTBhYmNkZWYxMjM0NTY3ODkwYWJjZGVmIiwiYXVkIjoiMTIzNDU2Nzg5MCIsImV4"
        "cCI6MTcwMDAwMzYwMCwiaWF0IjoxNzAwMDAwMDAwLCJub25jZSI6IjA5ODc2NTQz"
        "MjFmZWRjYmEiLCJhbXIiOlsicHdkIl0sIm5hbWUiOiJUYXJvIExpbmUifQ."
        "6OTWZJYRaomBZyF0VrKc1Ny9Ug9ARDZr69423HWHnrQ")


def test_utf16_length_counts_like_line():
    assert fl.utf16_len("abc") == 3
    assert fl.utf16_len("あいう") == 3
    assert fl.utf16_len("\U0001F34E") == 2


# -- Messaging API: the connect check -----------------------------------------

def test_verify(fake_line):
    f = fake_line
    r = requests.post(f.url + "/v2/oauth/verify",
                      data={"access_token": f.access_token}, timeout=5)
    assert r.status_code == 200
    assert r.json()["client_id"] == f.channel_id
    assert set(r.json()) == {"scope", "client_id", "expires_in"}

    # a token of another channel verifies, as that channel's
    f.add_access_token("other-token", "1999999999")
    r = requests.post(f.url + "/v2/oauth/verify",
                      data={"access_token": "other-token"}, timeout=5)
    assert r.json()["client_id"] == "1999999999"

    for token in ("nope", ""):
        r = requests.post(f.url + "/v2/oauth/verify",
                          data={"access_token": token}, timeout=5)
        assert r.status_code == 400
        assert r.json() == {"error": "invalid_request",
                            "error_description": "access token expired"}

    rec = f.received("verify")
    assert len(rec) == 4
    assert rec[0].form == {"access_token": f.access_token}
    assert rec[0].status == 200 and rec[-1].status == 400


def test_access_token(fake_line):
    f = fake_line
    url = f.url + "/v2/oauth/accessToken"
    r = requests.post(url, data={"grant_type": "client_credentials",
                                 "client_id": f.channel_id,
                                 "client_secret": f.channel_secret},
                      timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0

    # the issued token works like the long-lived one
    r = requests.get(f.url + "/v2/bot/info",
                     headers=bearer(body["access_token"]), timeout=5)
    assert r.status_code == 200

    for form in ({"client_secret": "wrong"},
                 {"client_id": f.login_channel_id,
                  "client_secret": f.login_channel_secret}):
        data = {"grant_type": "client_credentials",
                "client_id": f.channel_id, "client_secret": f.channel_secret}
        data.update(form)
        r = requests.post(url, data=data, timeout=5)
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_client"

    r = requests.post(url, data={"grant_type": "password",
                                 "client_id": f.channel_id,
                                 "client_secret": f.channel_secret},
                      timeout=5)
    assert r.status_code == 400


def test_bot_info(make_fake_line):
    f = make_fake_line(bot_basic_id="@hrxbot", bot_name="採用担当")
    r = requests.get(f.url + "/v2/bot/info", headers=bearer(f.access_token),
                     timeout=5)
    assert r.status_code == 200
    assert r.json()["basicId"] == "@hrxbot"
    assert r.json()["displayName"] == "採用担当"
    assert r.json()["userId"] == f.bot_user_id

    r = requests.get(f.url + "/v2/bot/info", timeout=5)
    assert r.status_code == 401
    assert "Authorization header required" in r.json()["message"]

    r = requests.get(f.url + "/v2/bot/info", headers=bearer("x"), timeout=5)
    assert r.status_code == 401
    assert r.json()["message"] == fl.MSG_AUTH_FAILED

    f.revoke_access_token()
    r = requests.get(f.url + "/v2/bot/info", headers=bearer(f.access_token),
                     timeout=5)
    assert r.status_code == 401


def test_unknown_paths_and_methods(fake_line):
    r = requests.get(fake_line.url + "/v2/bot/nothing", timeout=5)
    assert r.status_code == 404
    r = requests.get(fake_line.url + "/v2/bot/message/push", timeout=5)
    assert r.status_code == 405
    assert [x.status for x in fake_line.requests] == [404, 405]


# -- push ---------------------------------------------------------------------

def test_push_accepted_and_recorded(fake_line):
    f = fake_line
    key = str(uuid.uuid4())
    r = push(f, text_push(f, "こんにちは", "二通目"), key=key)
    assert r.status_code == 200
    sent = r.json()["sentMessages"]
    assert len(sent) == 2 and all(m["id"].isdigit() for m in sent)
    assert r.headers["X-Line-Request-Id"]

    (p,) = f.pushes
    assert p.to == f.user_id
    assert p.texts == ["こんにちは", "二通目"]
    assert p.retry_key == key
    assert p.headers["x-line-retry-key"] == key
    assert p.headers["authorization"] == "Bearer " + f.access_token

    (rec,) = f.received("push")
    assert rec.header("X-Line-Retry-Key") == key
    assert rec.json["messages"][0]["text"] == "こんにちは"
    assert rec.status == 200

    # no retry key is allowed (and never deduplicated)
    assert push(f, text_push(f, "a")).status_code == 200
    assert push(f, text_push(f, "a")).status_code == 200
    assert len(f.pushes) == 3


def test_push_retry_key_accepted_once(fake_line):
    f = fake_line
    key = str(uuid.uuid4())
    first = push(f, text_push(f, "once"), key=key)
    assert first.status_code == 200

    again = push(f, text_push(f, "once"), key=key)
    assert again.status_code == 409
    assert again.json()["message"] == "The retry key is already accepted"
    assert again.json()["sentMessages"] == first.json()["sentMessages"]
    assert (again.headers["X-Line-Accepted-Request-Id"]
            == first.headers["X-Line-Request-Id"])

    # the same key in capitals is the same UUID
    assert push(f, text_push(f, "once"), key=key.upper()).status_code == 409
    assert len(f.pushes) == 1
    assert len(f.received("push")) == 3

    for bad in ("not-a-uuid", key + "0", ""):
        r = push(f, text_push(f, "x"), key=bad)
        assert r.status_code == 400
        assert r.json()["message"] == fl.MSG_RETRY_INVALID


def test_push_retry_key_race(fake_line):
    """Ten tries with one key at once: one is accepted."""
    f = fake_line
    key = str(uuid.uuid4())
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        codes = list(ex.map(lambda _: push(f, text_push(f, "x"),
                                           key=key).status_code, range(10)))
    assert sorted(codes) == [200] + [409] * 9
    assert len(f.pushes) == 1


@pytest.mark.parametrize("body, status, says", [
    ({"messages": [{"type": "text", "text": "x"}]}, 400,
     '"property": "to"'),
    ({"to": "Uabc", "messages": [{"type": "text", "text": "x"}]}, 400,
     "'to', in the request body is invalid"),
    ({"to": None}, 400, "has 2 error(s)"),
    ({"to": "U" + "0" * 32, "messages": []}, 400,
     "Size must be between 1 and 5"),
    ({"to": "U" + "0" * 32,
      "messages": [{"type": "text", "text": "x"}] * 6}, 400,
     "Size must be between 1 and 5"),
    ({"to": "U" + "0" * 32, "messages": {"type": "text"}}, 400,
     "'messages', in the request body is invalid"),
    ({"to": "U" + "0" * 32, "messages": [{"type": "image"}]}, 400,
     "'messages[0].type'"),
    ({"to": "U" + "0" * 32, "messages": [{"text": "x"}]}, 400,
     "must be specified"),
    ({"to": "U" + "0" * 32, "messages": [{"type": "text", "text": ""}]}, 400,
     "must be specified"),
    ({"to": "U" + "0" * 32, "messages": [{"type": "text", "text": 5}]}, 400,
     "'messages[0].text'"),
    ({"to": "U" + "0" * 32,
      "messages": [{"type": "text", "text": "a"},
                   {"type": "text", "text": "a" * 5001}]}, 400,
     "Length must be between 0 and 5000"),
    ({"to": "U" + "0" * 32,
      "messages": [{"type": "text", "text": "\U0001F34E" * 2501}]}, 400,
     "Length must be between 0 and 5000"),
])
def test_push_invalid_bodies(fake_line, body, status, says):
    r = push(fake_line, body, key=str(uuid.uuid4()))
    assert r.status_code == status
    assert says in json.dumps(r.json(), ensure_ascii=False)
    assert fake_line.pushes == []


def test_push_limits_are_inclusive(fake_line):
    f = fake_line
    body = {"to": f.user_id,
            "messages": [{"type": "text", "text": "あ" * 5000},
                         {"type": "text", "text": "\U0001F34E" * 2500},
                         {"type": "text", "text": "a" * 5000},
                         {"type": "text", "text": "x"},
                         {"type": "text", "text": "y"}]}
    assert push(f, body).status_code == 200


def test_push_not_json_and_auth(fake_line):
    f = fake_line
    r = requests.post(f.url + "/v2/bot/message/push", data=b"{nope",
                      headers=dict(bearer(f.access_token),
                                   **{"Content-Type": "application/json"}),
                      timeout=5)
    assert r.status_code == 400
    assert "could not be parsed as JSON" in r.json()["message"]

    r = requests.post(f.url + "/v2/bot/message/push", data=b"to=x",
                      headers=bearer(f.access_token), timeout=5)
    assert r.status_code == 415

    assert push(f, text_push(f, "x"), token="bad").status_code == 401
    # a token of another channel does not push from this one
    f.add_access_token("other", "1999999999")
    assert push(f, text_push(f, "x"), token="other").status_code == 401
    assert f.pushes == []


# -- failures on demand -------------------------------------------------------

def test_scripted_429_then_success(fake_line):
    f = fake_line
    f.fail_next("push", 2, 429, retry_after=1)
    key = str(uuid.uuid4())
    answers = [push(f, text_push(f, "x"), key=key) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert answers[0].json() == {"message": fl.MSG_RATE_LIMIT}
    assert len(f.pushes) == 1
    # every try is recorded with its key
    assert [r.header("x-line-retry-key") for r in f.received("push")] \
        == [key] * 3
    assert [r.status for r in f.received("push")] == [429, 429, 200]
    assert f.scripted_left("push") == 0


def test_scripted_500_and_400(fake_line):
    f = fake_line
    f.fail_next("push", 1, 500)
    f.fail_next("push", 1, 400, message="The user hasn't added the account")
    r = push(f, text_push(f, "x"))
    assert r.status_code == 500
    r = push(f, text_push(f, "x"))
    assert r.status_code == 400
    assert r.json() == {"message": "The user hasn't added the account"}
    assert push(f, text_push(f, "x")).status_code == 200

    f.fail_next("verify", 1, 500)
    r = requests.post(f.url + "/v2/oauth/verify",
                      data={"access_token": f.access_token}, timeout=5)
    assert r.status_code == 500 and "error" in r.json()

    f.script("bot_info", Reply(status=503, body={"message": "down"},
                               headers={"Retry-After": "7"}))
    r = requests.get(f.url + "/v2/bot/info", headers=bearer(f.access_token),
                     timeout=5)
    assert (r.status_code, r.json(), r.headers["Retry-After"]) \
        == (503, {"message": "down"}, "7")


def test_scripted_stall(fake_line):
    f = fake_line
    f.stall_next("push", 1, 0.6)
    t = time.monotonic()
    assert push(f, text_push(f, "x")).status_code == 200
    assert time.monotonic() - t >= 0.6

    # a client that gives up first: then the stalled try still goes in
    f.stall_next("push", 1, 1.0)
    key = str(uuid.uuid4())
    with pytest.raises(requests.exceptions.ReadTimeout):
        push(f, text_push(f, "late"), key=key, timeout=0.3)
    deadline = time.time() + 5
    while len(f.pushes) < 2 and time.time() < deadline:
        time.sleep(0.02)
    assert f.pushes[-1].retry_key == key
    assert push(f, text_push(f, "late"), key=key).status_code == 409


def test_scripted_close(fake_line):
    f = fake_line
    f.close_next("push", 1)
    with pytest.raises(requests.exceptions.ConnectionError):
        push(f, text_push(f, "x"))
    assert f.pushes == []
    assert f.received("push")[0].status is None
    assert push(f, text_push(f, "x")).status_code == 200


def test_accepted_but_answer_lost(fake_line):
    """LINE took the message and the answer never came: the retry with the
    same key is a 409, and the message exists once (LN-11)."""
    f = fake_line
    key = str(uuid.uuid4())
    f.fail_next("push", 1, 500, process=True)
    f.close_next("push", 1, process=True)
    assert push(f, text_push(f, "x"), key=key).status_code == 500
    assert len(f.pushes) == 1

    key2 = str(uuid.uuid4())
    with pytest.raises(requests.exceptions.ConnectionError):
        push(f, text_push(f, "y"), key=key2)
    assert len(f.pushes) == 2

    assert push(f, text_push(f, "x"), key=key).status_code == 409
    assert push(f, text_push(f, "y"), key=key2).status_code == 409
    assert len(f.pushes) == 2


def test_concurrent_requests_all_recorded(fake_line):
    f = fake_line
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        codes = list(ex.map(
            lambda i: push(f, text_push(f, "m%d" % i),
                           key=str(uuid.uuid4())).status_code, range(40)))
    assert codes == [200] * 40
    assert sorted(p.texts[0] for p in f.pushes) \
        == sorted("m%d" % i for i in range(40))
    assert len(f.received("push")) == 40
    assert len(f.wait_pushes(40)) == 40


def test_stop_releases_stalled_requests():
    f = FakeLine().start()
    f.stall_next("push", 1, 30)
    done = []

    def client():
        try:
            push(f, text_push(f, "x"), timeout=20)
        except requests.exceptions.RequestException:
            pass
        done.append(1)

    t = threading.Thread(target=client)
    t.start()
    f.wait_for("push", 1)
    started = time.monotonic()
    f.stop()
    t.join(10)
    assert done and time.monotonic() - started < 5

    # the port is closed after stop
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f.url + "/v2/bot/info", timeout=2)


# -- LINE Login ---------------------------------------------------------------

def authorize(f, **over):
    q = {"response_type": "code", "client_id": f.login_channel_id,
         "redirect_uri": "http://127.0.0.1:9/line/callback",
         "state": "st-1", "scope": "profile openid", "nonce": "nonce-1",
         "bot_prompt": "aggressive"}
    q.update(over)
    q = {k: v for k, v in q.items() if v is not None}
    return requests.get(f.url + "/oauth2/v2.1/authorize", params=q,
                        allow_redirects=False, timeout=5)


def redirected(r):
    assert r.status_code == 302, r.text
    u = urllib.parse.urlsplit(r.headers["Location"])
    return u, dict(urllib.parse.parse_qsl(u.query))


def token(f, code, **over):
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": "http://127.0.0.1:9/line/callback",
            "client_id": f.login_channel_id,
            "client_secret": f.login_channel_secret}
    data.update(over)
    return requests.post(f.url + "/oauth2/v2.1/token", data=data, timeout=5)


def test_login_flow(make_fake_line):
    f = make_fake_line(user_name="佐藤 花子")
    u, q = redirected(authorize(f))
    assert (u.netloc, u.path) == ("127.0.0.1:9", "/line/callback")
    assert q["state"] == "st-1" and q["code"]

    (a,) = f.authorizations
    assert a["bot_prompt"] == "aggressive" and a["nonce"] == "nonce-1"
    assert a["scope"] == "profile openid"

    r = token(f, q["code"])
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert {"access_token", "id_token", "expires_in"} <= set(body)

    header, claims, sig = fl.decode_jwt(body["id_token"])
    assert header == {"typ": "JWT", "alg": "HS256"}
    assert claims["iss"] == "https://access.line.me"
    assert claims["aud"] == f.login_channel_id
    assert claims["sub"] == f.user_id
    assert claims["nonce"] == "nonce-1"
    assert claims["exp"] > time.time() + 600
    signing_input = body["id_token"].rsplit(".", 1)[0].encode()
    assert sig == hmac.new(f.login_channel_secret.encode(), signing_input,
                           hashlib.sha256).digest()

    r = requests.get(f.url + "/v2/profile",
                     headers=bearer(body["access_token"]), timeout=5)
    assert r.status_code == 200
    assert r.json()["userId"] == f.user_id
    assert r.json()["displayName"] == "佐藤 花子"

    # the code is single use
    r = token(f, q["code"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

    # the messaging token is not a login token, nor the reverse
    assert requests.get(f.url + "/v2/profile", headers=bearer(f.access_token),
                        timeout=5).status_code == 401
    assert requests.get(f.url + "/v2/profile",
                        timeout=5).status_code == 401
    assert requests.get(f.url + "/v2/bot/info",
                        headers=bearer(body["access_token"]),
                        timeout=5).status_code == 401


def test_login_token_refusals(fake_line):
    f = fake_line
    _, q = redirected(authorize(f))
    r = token(f, q["code"], client_secret="wrong")
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"
    # a refused client leaves the code usable; a wrong redirect uses it up
    r = token(f, q["code"], redirect_uri="http://127.0.0.1:9/other")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert token(f, q["code"]).json()["error"] == "invalid_grant"

    r = token(f, "made-up")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    _, q = redirected(authorize(f))
    r = token(f, q["code"], grant_type="client_credentials")
    assert r.status_code == 400
    assert token(f, q["code"]).status_code == 200


def test_login_authorize_refusals(make_fake_line):
    f = make_fake_line(callback_urls=["http://127.0.0.1:9/line/callback"])

    # what cannot be sent back is an error page
    assert authorize(f, client_id="1").status_code == 400
    assert authorize(f, redirect_uri="http://127.0.0.1:9/x").status_code \
        == 400
    assert authorize(f, redirect_uri=None).status_code == 400

    # the rest goes back to the callback with an error and the state
    for over in ({"nonce": None}, {"state": None}, {"scope": "profile"},
                 {"response_type": "token"}, {"bot_prompt": "always"}):
        _, q = redirected(authorize(f, **over))
        assert q["error"] == "invalid_request", over
        assert "code" not in q

    f.consent = False
    _, q = redirected(authorize(f))
    assert q == {"error": "access_denied",
                 "error_description": "The resource owner denied the "
                                      "request.", "state": "st-1"}
    assert len(f.authorizations) == 9


def test_login_spoiled_id_tokens(fake_line):
    f = fake_line
    f.id_token_patch = {"aud": "1999999999", "iss": None}
    _, q = redirected(authorize(f, nonce="n2"))
    _, claims, _ = fl.decode_jwt(token(f, q["code"]).json()["id_token"])
    assert claims["aud"] == "1999999999" and "iss" not in claims

    f.id_token_patch = {}
    f.id_token_secret = "another secret"
    f.id_token_alg = "none"
    _, q = redirected(authorize(f))
    t = token(f, q["code"]).json()["id_token"]
    header, _, sig = fl.decode_jwt(t)
    assert header["alg"] == "none"
    assert sig == hmac.new(b"another secret", t.rsplit(".", 1)[0].encode(),
                           hashlib.sha256).digest()

    # another user consents next
    f.user_id = fl.new_user_id()
    _, q = redirected(authorize(f))
    _, claims, _ = fl.decode_jwt(token(f, q["code"]).json()["id_token"])
    assert claims["sub"] == f.user_id


def test_the_browser_follows_to_the_callback(fake_line):
    """requests follows the 302 like a phone would."""
    got = {}

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            got["query"] = dict(urllib.parse.parse_qsl(
                urllib.parse.urlsplit(self.path).query))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=srv.serve_forever, args=(0.05,),
                     daemon=True).start()
    try:
        cb = "http://127.0.0.1:%d/line/callback" % srv.server_port
        r = requests.get(fake_line.url + "/oauth2/v2.1/authorize", params={
            "response_type": "code", "client_id": fake_line.login_channel_id,
            "redirect_uri": cb, "state": "s", "scope": "profile openid",
            "nonce": "n"}, timeout=5)
        assert r.status_code == 200 and r.text == "ok"
        assert got["query"]["state"] == "s" and got["query"]["code"]
    finally:
        srv.shutdown()
        srv.server_close()


# -- webhook deliveries -------------------------------------------------------

class _Receiver:
    """A stand-in for hrx's webhook URL: records, answers 200 {}."""

    def __init__(self):
        self.got = []
        receiver = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers["Content-Length"])
                receiver.got.append((self.path, dict(self.headers),
                                     self.rfile.read(n)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *a):
                pass

        self.srv = http.server.HTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/webhooks/line/7" % self.srv.server_port
        threading.Thread(target=self.srv.serve_forever, args=(0.05,),
                         daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def receiver():
    r = _Receiver()
    yield r
    r.close()


def test_delivery_shape_and_signature(fake_line, receiver):
    f = fake_line
    text = f.text_event("面接の日程、了解です \U0001F34E", timestamp=1700000000123)
    events = [text, f.sticker_event(), f.image_event(), f.file_event(),
              f.follow_event(), f.unfollow_event(), fl.redelivered(text),
              f.text_event("no id", webhook_event_id=None),
              f.follow_event(source=None)]
    r = f.deliver(receiver.url, *events)
    assert r.status_code == 200 and r.json() == {}

    (path, headers, body), = receiver.got
    assert path == "/webhooks/line/7"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Line-Signature"] == fl.sign(f.channel_secret, body)
    assert "面接".encode() in body          # raw UTF-8, as LINE sends it

    d = json.loads(body)
    assert d["destination"] == f.bot_user_id
    ev = d["events"]
    assert [e["type"] for e in ev] == ["message"] * 4 + [
        "follow", "unfollow", "message", "message", "follow"]
    assert [e.get("message", {}).get("type") for e in ev[:4]] == [
        "text", "sticker", "image", "file"]
    assert ev[0]["message"]["text"] == "面接の日程、了解です \U0001F34E"
    assert ev[0]["timestamp"] == 1700000000123
    assert ev[0]["source"] == {"type": "user", "userId": f.user_id}
    assert len(ev[0]["webhookEventId"]) == 26
    assert ev[0]["deliveryContext"] == {"isRedelivery": False}
    assert ev[6]["webhookEventId"] == ev[0]["webhookEventId"]
    assert ev[6]["deliveryContext"] == {"isRedelivery": True}
    assert "webhookEventId" not in ev[7]
    assert "source" not in ev[8]
    assert len({e["webhookEventId"] for e in ev[:6]}) == 6


def test_delivery_signatures_on_demand(fake_line, receiver):
    f = fake_line
    f.deliver(receiver.url, signature=None)
    f.deliver(receiver.url, f.follow_event(), secret="another secret")
    f.deliver(receiver.url, body=b'{"events":[]}', signature="bogus")
    raw = fl.make_delivery()
    fl.send_delivery(receiver.url, raw, "s3cret")

    (_, h0, b0), (_, h1, b1), (_, h2, b2), (_, h3, b3) = receiver.got
    assert "X-Line-Signature" not in h0
    assert json.loads(b0)["events"] == []       # the console's Verify
    assert h1["X-Line-Signature"] == fl.sign("another secret", b1)
    assert h1["X-Line-Signature"] != fl.sign(f.channel_secret, b1)
    assert (h2["X-Line-Signature"], b2) == ("bogus", b'{"events":[]}')
    assert h3["X-Line-Signature"] == fl.sign("s3cret", raw) and b3 == raw


def test_context_manager():
    with FakeLine(channel_id="42") as f:
        r = requests.post(f.url + "/v2/oauth/verify",
                          data={"access_token": f.access_token}, timeout=5)
        assert r.json()["client_id"] == "42"
        assert f.api_url == f.login_url == f.login_api_url == f.url
    f.reset()
    assert f.requests == []
