"""What the WhatsApp tests share (docs/whatsapp.md): an hrx pointed at a
fake Graph API, connecting a number, reading its stored row."""

from hrx import Hrx

NUMBERS = "/api/v1/settings/whatsapp/numbers"
HRX_SEAL_OVERHEAD = 28      # nonce 12 + tag 16 (shm/hrx_crypto.h)


def start(tmp_path_factory, fake, extra_conf="", **kw):
    """A running hrx whose Graph API base and version are the fake's."""
    h = Hrx(tmp_path_factory.mktemp("hrx"),
            extra_conf="hrx_whatsapp_api_url %s;\n"
                       "hrx_whatsapp_api_version %s;\n%s"
                       % (fake.api_url, fake.version, extra_conf), **kw)
    h.start()
    return h


def finish(h):
    h.stop()
    problems = h.log_problems()
    assert not problems, "nginx error log:\n" + "\n".join(problems)
    reports = h.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports)


def body(fake, **over):
    b = {"nickname": "Tokyo recruiting",
         "waba_id": fake.waba_id,
         "phone_number_id": fake.phone_number_id,
         "access_token": fake.access_token,
         "app_secret": fake.app_secret,
         "verify_token": fake.verify_token}
    b.update(over)
    return {k: v for k, v in b.items() if v is not None}


def connect(hrx, sess, fake, **over):
    r = sess.post(hrx.url(NUMBERS), json=body(fake, **over), timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "connected"
    return r.json()


def number_url(hrx, id):
    return hrx.url("%s/%d" % (NUMBERS, id))


def stored(hrx, id):
    with hrx.db() as con:
        r = con.execute("SELECT * FROM whatsapp_numbers WHERE id = ?",
                        (id,)).fetchone()
        return dict(r) if r else None


def stored_of(hrx, tenant_id):
    with hrx.db() as con:
        return [dict(r) for r in con.execute(
            "SELECT * FROM whatsapp_numbers WHERE tenant_id = ? ORDER BY id",
            (tenant_id,)).fetchall()]
