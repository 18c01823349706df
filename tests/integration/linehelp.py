"""What the LINE settings and webhook tests share (docs/line.md): an hrx
pointed at a fake LINE, connecting a tenant, the webhook URL, waiting."""

import time

from hrx import Hrx
from resources import db_write

SETTINGS = "/api/v1/settings/line"
UNLINKED = "/api/v1/line/unlinked-events"
HRX_SEAL_OVERHEAD = 28      # nonce 12 + tag 16 (shm/hrx_crypto.h)


def start(tmp_path_factory, fake, extra_conf="", **kw):
    """A running hrx whose hrx_line_api_url is the fake's."""
    h = Hrx(tmp_path_factory.mktemp("hrx"),
            extra_conf="hrx_line_api_url %s;\n%s" % (fake.api_url, extra_conf),
            **kw)
    h.start()
    return h


def finish(h):
    h.stop()
    problems = h.log_problems()
    assert not problems, "nginx error log:\n" + "\n".join(problems)
    reports = h.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports)


def body(fake, **over):
    b = {"channel_id": fake.channel_id,
         "channel_secret": fake.channel_secret,
         "access_token": fake.access_token,
         "login_channel_id": fake.login_channel_id,
         "login_channel_secret": fake.login_channel_secret}
    b.update(over)
    return {k: v for k, v in b.items() if v is not None}


def connect(hrx, sess, fake, **over):
    r = sess.put(hrx.url(SETTINGS), json=body(fake, **over), timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "connected"
    return r.json()


def webhook_url(hrx, tenant_id):
    return hrx.url("/webhooks/line/%d" % tenant_id)


def stored(hrx, tenant_id):
    with hrx.db() as con:
        r = con.execute("SELECT * FROM line_settings WHERE tenant_id = ?",
                        (tenant_id,)).fetchone()
        return dict(r) if r else None


def link(hrx, candidate_id, line_user_id):
    """What LINE Login's callback stores (no API makes it)."""
    db_write(hrx, "UPDATE candidates SET line_user_id = ?, line_linked_at = ?"
             " WHERE id = ?", (line_user_id, int(time.time() * 1000),
                               candidate_id))


def query(hrx, sql, args=()):
    with hrx.db() as con:
        return [dict(r) for r in con.execute(sql, args).fetchall()]


def wait_for(fn, timeout=10, what="condition"):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)
