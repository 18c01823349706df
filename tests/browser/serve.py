"""Start a real hrx (nginx + hrx-scheduler) for the browser tests.

Prints one JSON line on stdout: {"base", "email", "password", "data"},
then waits for EOF on stdin and stops everything.  The data directory is a
fresh temporary one, removed afterwards unless HRX_KEEP_DATA=1.
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from hrx import Hrx  # noqa: E402


def main():
    data = tempfile.mkdtemp(prefix="hrx-browser-")
    h = Hrx(os.path.join(data, "d"), workers=1)
    try:
        h.start()
        print(json.dumps({"base": h.base, "email": h.admin_email,
                          "password": h.admin_password, "data": h.data}),
              flush=True)
        sys.stdin.read()
    finally:
        h.stop()
        problems = h.log_problems()
        if problems:
            print("nginx error log:\n" + "\n".join(problems), file=sys.stderr)
        if os.environ.get("HRX_KEEP_DATA") != "1":
            shutil.rmtree(data, ignore_errors=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
