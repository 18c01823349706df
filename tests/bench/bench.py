"""Benchmarks against a baseline from the same run.

    make bench            (or tests/bench/run.sh [--duration S] [--connections N])

1. nginx `return 200` (baseline) vs GET /api/v1/health (worker reads shm)
2. baseline vs POST /api/v1/tokens: a durable command — parsed, appended to
   the ring, committed to SQLite (synchronous=FULL) by the scheduler and
   answered only then.
Prints requests/s, p50 and p99 latency and the ratio to the baseline.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from hrx import Hrx  # noqa: E402

BASELINE_CONF = """
        location = /bench/return200 {
            return 200 "ok";
        }
"""

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
counter = 0
request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil, '{"name": "bench-' .. counter .. '"}')
end
"""


def to_ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, duration, conns, script=None):
    cmd = ["wrk", "-t2", "-c%d" % conns, "-d%ds" % duration, "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, out, re.M)
        lat[pct] = to_ms(m.group(1), m.group(2))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"],
            "errors": int(non2xx.group(1)) if non2xx else 0}


def metrics(h):
    text = requests.get(h.url("/api/v1/metrics")).text
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(hrx_\w+) (\d+)$", text, re.M)}


def row(name, r, base):
    print("%-34s %10.0f %9.2f %9.2f %8.3f %8d" % (
        name, r["rps"], r["p50"], r["p99"], r["rps"] / base["rps"], r["errors"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        h = Hrx(os.path.join(d, "data"), workers=2, extra_conf=BASELINE_CONF,
                log_level="warn")
        h.start()
        try:
            s = h.login()
            tok = s.post(h.url("/api/v1/tokens"), json={"name": "bench"}).json()["token"]
            lua = os.path.join(d, "post.lua")
            with open(lua, "w") as f:
                f.write(POST_LUA % tok)
            print("wrk -t2 -c%d -d%ds on %d cores; nginx 2 workers + hrx-scheduler"
                  % (a.connections, a.duration, os.cpu_count()))
            print("%-34s %10s %9s %9s %8s %8s" % (
                "endpoint", "req/s", "p50 ms", "p99 ms", "ratio", "non-2xx"))
            base = wrk(h.url("/bench/return200"), a.duration, a.connections)
            row("nginx return 200 (baseline)", base, base)
            row("GET /api/v1/health", wrk(h.url("/api/v1/health"),
                                          a.duration, a.connections), base)
            before = metrics(h)
            cmd = wrk(h.url("/api/v1/tokens"), a.duration, a.connections, lua)
            row("POST /api/v1/tokens (durable)", cmd, base)
            after = metrics(h)
            applied = after["hrx_commands_applied_total"] - before["hrx_commands_applied_total"]
            batches = after["hrx_batches_committed_total"] - before["hrx_batches_committed_total"]
            print("durable commands: %d in %d SQLite commits (%.1f per fsync)"
                  % (applied, batches, applied / max(batches, 1)))
        finally:
            h.stop()


if __name__ == "__main__":
    main()
