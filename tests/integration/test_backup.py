"""--backup and --restore (scheduler/backup.c): a consistent copy of a
running install under load, and an install made from it that has every
item acknowledged before the backup began."""
import filecmp
import os
import subprocess
import threading
import time
import uuid

import requests

from hrx import Hrx, SCHEDULER


def backup(h, dest):
    return subprocess.run([SCHEDULER, "--data-dir", h.data, "--backup", dest],
                          capture_output=True, text=True, timeout=120,
                          env=h.env("scheduler"))


def restore(src, data_dir, env):
    return subprocess.run([SCHEDULER, "--data-dir", data_dir, "--restore", src],
                          capture_output=True, text=True, timeout=120, env=env)


def token_names(h, prefix):
    with h.db() as con:
        return {r[0] for r in con.execute(
            "SELECT name FROM api_tokens WHERE name LIKE ?", (prefix + "%",))}


class Load(threading.Thread):
    """Commands one after another on two connections; each acknowledged
    name is kept with the time its 201 arrived."""

    def __init__(self, h, headers, prefix):
        super().__init__(daemon=True)
        self.h, self.headers, self.prefix = h, headers, prefix
        self.sent, self.acked, self.stop = set(), {}, False
        self.lock = threading.Lock()

    def one(self):
        s = requests.Session()
        while not self.stop:
            name = "%s%s" % (self.prefix, uuid.uuid4().hex[:12])
            with self.lock:
                self.sent.add(name)
            r = s.post(self.h.url("/api/v1/tokens"), json={"name": name},
                       headers=self.headers, timeout=30)
            if r.status_code == 201:
                with self.lock:
                    self.acked[name] = time.monotonic()

    def run(self):
        ts = [threading.Thread(target=self.one) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


def test_backup_under_load_restores_every_acknowledged_item(fresh_hrx, tmp_path):
    h = fresh_hrx
    admin = h.login()
    tok = admin.post(h.url("/api/v1/tokens"), json={"name": "load"}).json()["token"]
    headers = {"Authorization": "Bearer " + tok}
    # a sealed secret, to show the key travels with the database
    r = admin.put(h.url("/api/v1/settings/mail"), json={
        "transport": "smtp", "smtp_host": "mail.acme.test", "smtp_port": 587,
        "smtp_security": "starttls", "smtp_username": "u",
        "smtp_password": "backup-" + uuid.uuid4().hex,
        "from_email": "recruit@acme.test"})
    assert r.status_code == 200, r.text

    prefix = "bk-%s-" % uuid.uuid4().hex[:6]
    load = Load(h, headers, prefix)
    load.start()
    time.sleep(1.0)
    began = time.monotonic()
    dest = str(tmp_path / "backup")
    out = backup(h, dest)
    assert out.returncode == 0, out.stderr
    time.sleep(0.5)                 # the load goes on after the copy
    load.stop = True
    load.join(30)
    assert sorted(os.listdir(dest)) == ["hrx.db", "master.key"]
    assert os.stat(os.path.join(dest, "master.key")).st_mode & 0o077 == 0
    assert os.stat(dest).st_mode & 0o077 == 0

    before = {n for n, at in load.acked.items() if at < began}
    assert len(before) > 20, "the load did not run before the backup"

    # the restored install
    r2 = Hrx(tmp_path / "restored")
    r2.admin_email, r2.admin_password = h.admin_email, h.admin_password
    out = restore(dest, r2.data, h.env("scheduler"))
    assert out.returncode == 0, out.stderr
    assert filecmp.cmp(h.path("master.key"), r2.path("master.key"), shallow=False)
    r2.start_scheduler()
    r2.start_nginx()
    r2.wait_scheduler_up()
    try:
        got = token_names(r2, prefix)
        missing = before - got
        assert not missing, "acknowledged before the backup, not restored: %s" % sorted(missing)[:5]
        assert got <= load.sent                    # nothing invented
        live = token_names(h, prefix)
        assert got <= live and len(live) > len(got)   # a point in time
        # the restored install works: the old token, a new command, and
        # the sealed password opens with the copied key (it reads back set)
        s = requests.Session()
        r = s.post(r2.url("/api/v1/tokens"), json={"name": prefix + "after"},
                   headers=headers)
        assert r.status_code == 201, r.text
        m = r2.login().get(r2.url("/api/v1/settings/mail")).json()
        assert m["password_set"] is True
        with h.db() as a, r2.db() as b:
            q = "SELECT smtp_password FROM mail_settings"
            assert b.execute(q).fetchall() == a.execute(q).fetchall()
    finally:
        r2.stop()
    assert not r2.sanitizer_reports()


def test_backup_and_restore_never_overwrite(fresh_hrx, tmp_path):
    h = fresh_hrx
    dest = str(tmp_path / "b")
    assert backup(h, dest).returncode == 0
    again = backup(h, dest)
    assert again.returncode == 1 and "nothing is overwritten" in again.stderr
    # onto an install: refused, and the install is untouched
    before = os.stat(h.path("hrx.db")).st_ino
    out = restore(dest, h.data, h.env("scheduler"))
    assert out.returncode == 1 and "nothing is overwritten" in out.stderr
    assert os.stat(h.path("hrx.db")).st_ino == before
    # from a directory without a backup: said, and nothing left behind
    empty = tmp_path / "empty"
    empty.mkdir()
    target = str(tmp_path / "t")
    out = restore(str(empty), target, h.env("scheduler"))
    assert out.returncode == 1 and "master.key" in out.stderr
    assert not os.path.exists(os.path.join(target, "hrx.db"))
    # --backup goes alone
    out = subprocess.run([SCHEDULER, "--data-dir", h.data, "--backup", dest,
                          "--init"], capture_output=True, text=True)
    assert out.returncode == 2 and "alone" in out.stderr
