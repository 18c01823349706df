"""Start and stop a real hrx: nginx with the module and hrx-scheduler, in a
temporary data directory on a free loopback port.  Used by the pytest
fixtures (conftest.py) and by the benchmarks (tests/bench/)."""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time

import requests

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(TOP, os.environ.get("HRX_BUILD", "build"))
SCHEDULER = os.path.join(BUILD, "hrx-scheduler")
MODULE = os.path.join(BUILD, "ngx_http_hrx_module.so")
NGINX = "/usr/sbin/nginx"
# make integration-san: binaries built with ASan/UBSan; libasan is preloaded
# into the stock nginx (its own exit-time allocations are not ours: no leak
# check there).  Reports land in logs/ and fail the test.
SANITIZE = os.environ.get("HRX_SANITIZE") == "1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hrx:
    def __init__(self, data_dir, workers=2, extra_conf="", log_level="info",
                 scheduler_args=()):
        self.data = str(data_dir)
        self.workers = workers
        self.extra_conf = extra_conf
        self.log_level = log_level
        self.scheduler_args = list(scheduler_args)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        # hrx_public_url: the scheduler's --public-url default unless a
        # test gives both the real address
        self.public_url = "http://127.0.0.1:8080"
        self.scheduler = None
        self.nginx = None
        self.admin_email = None
        self.admin_password = None
        self.expected_log = []      # regexes of log lines a test provoked

    # -- data dir -------------------------------------------------------

    def init(self):
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        for d in ("logs", "tmp"):
            os.makedirs(os.path.join(self.data, d), exist_ok=True)
        out = subprocess.run([SCHEDULER, "--data-dir", self.data, "--init"],
                             capture_output=True, text=True, timeout=60,
                             env=self.env("scheduler"))
        assert out.returncode == 0, out.stderr
        m = re.search(r"first admin: (\S+)", out.stdout)
        p = re.search(r"password: (\S+)", out.stdout)
        if m and p:
            self.admin_email, self.admin_password = m.group(1), p.group(1)
        return out

    def path(self, *parts):
        return os.path.join(self.data, *parts)

    def write_conf(self):
        with open(os.path.join(TOP, "scripts", "nginx.conf.in")) as f:
            conf = f.read()
        user_line = ""
        if os.getuid() == 0:
            user_line = "user root root;"
        for k, v in {
            "@MODULE@": MODULE, "@USER_LINE@": user_line,
            "@WORKERS@": str(self.workers), "@DATA@": self.data,
            "@LOG_LEVEL@": self.log_level,
            "@LISTEN@": "127.0.0.1:%d" % self.port,
            "@PUBLIC_URL@": self.public_url,
            "@HTML@": os.path.join(TOP, "html"),
            "@TOP@": TOP,
            "@EXTRA@": self.extra_conf,
        }.items():
            conf = conf.replace(k, v)
        with open(self.path("nginx.conf"), "w") as f:
            f.write(conf)

    # -- processes ------------------------------------------------------

    def start_scheduler(self, wait=True, extra=()):
        log = open(self.path("logs", "scheduler.stderr"), "ab")
        self.scheduler = subprocess.Popen(
            [SCHEDULER, "--data-dir", self.data, "--log-stderr"]
            + self.scheduler_args + list(extra),
            stdout=log, stderr=log, env=self.env("scheduler"))
        log.close()
        if wait:
            self.wait_scheduler_up()
        return self.scheduler

    def wait_scheduler_up(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.scheduler.poll() is not None:
                raise AssertionError("scheduler exited: %s" % self.scheduler_log())
            if self.nginx is None:
                if os.path.exists(self.path("hrx.shm")):
                    time.sleep(0.1)
                    return
            else:
                try:
                    r = requests.get(self.url("/api/v1/health"), timeout=2)
                    if r.status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        raise AssertionError("scheduler did not come up: %s" % self.scheduler_log())

    def stop_scheduler(self, sig=signal.SIGTERM, timeout=10):
        if self.scheduler is None:
            return None
        if self.scheduler.poll() is None:
            self.scheduler.send_signal(sig)
        try:
            rc = self.scheduler.wait(timeout)
        except subprocess.TimeoutExpired:
            self.scheduler.kill()
            rc = self.scheduler.wait()
        self.scheduler = None
        return rc

    def kill_scheduler(self):
        return self.stop_scheduler(signal.SIGKILL)

    def start_nginx(self):
        self.write_conf()
        self.nginx = subprocess.Popen(
            [NGINX, "-p", self.data, "-c", self.path("nginx.conf"),
             "-e", self.path("logs", "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=self.env("nginx"))
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.nginx.poll() is not None:
                raise AssertionError("nginx exited: %s %s" % (
                    self.nginx.stderr.read().decode(), self.error_log()))
            try:
                requests.get(self.url("/api/v1/health"), timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError("nginx did not start: %s" % self.error_log())

    def stop_nginx(self):
        if self.nginx is None:
            return
        if self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        self.nginx.stderr.close()
        self.nginx = None

    def env(self, who):
        env = dict(os.environ)
        if not SANITIZE:
            return env
        os.makedirs(self.path("logs"), exist_ok=True)
        log = "log_path=%s" % self.path("logs", "asan-" + who)
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:" + log
        if who == "nginx":
            env["LD_PRELOAD"] = subprocess.run(
                ["gcc", "-print-file-name=libasan.so"], capture_output=True,
                text=True).stdout.strip()
            env["ASAN_OPTIONS"] = "detect_leaks=0:" + log
        else:
            env["ASAN_OPTIONS"] = "detect_leaks=1:" + log
        return env

    def sanitizer_reports(self):
        logs = self.path("logs")
        return [self._read(os.path.join(logs, f)) for f in sorted(os.listdir(logs))
                if f.startswith("asan-")] if os.path.isdir(logs) else []

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.nginx.pid)],
                             capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def start(self):
        self.init()
        self.start_scheduler()
        self.start_nginx()
        self.wait_scheduler_up()
        return self

    def stop(self):
        self.stop_nginx()
        self.stop_scheduler()

    # -- looking at it --------------------------------------------------

    def url(self, path):
        return self.base + path

    def scheduler_log(self):
        return self._read(self.path("logs", "scheduler.log")) + \
            self._read(self.path("logs", "scheduler.stderr"))

    def error_log(self):
        return self._read(self.path("logs", "error.log"))

    @staticmethod
    def _read(p):
        try:
            with open(p, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_problems(self):
        """Lines of the nginx error log that a healthy run never writes."""
        bad = re.compile(r"\[(alert|crit|emerg)\]|AddressSanitizer|runtime error"
                         r"|worker process \d+ exited on signal")
        return [l for l in self.error_log().splitlines() if bad.search(l)
                and not any(re.search(e, l) for e in self.expected_log)]

    def db(self):
        con = sqlite3.connect("file:%s?mode=ro" % self.path("hrx.db"), uri=True,
                              timeout=5)
        con.row_factory = sqlite3.Row
        return con

    def login(self, email=None, password=None, tenant=None):
        """A requests.Session signed in, sending the CSRF token."""
        s = requests.Session()
        body = {"email": email or self.admin_email,
                "password": password or self.admin_password}
        if tenant:
            body["tenant"] = tenant
        r = s.post(self.url("/api/v1/auth/login"), json=body, timeout=10)
        assert r.status_code == 200, r.text
        s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        s.login_reply = r
        return s
