#!/usr/bin/env bash
# The integration tests, plain and sanitized, at the same time.
#
# Most of an integration test's wall time is waiting (timeouts, restarts,
# SMTP and provider round trips): one run keeps a 2-core machine about 60 %
# busy.  Running both suites side by side saves about a third of `make test`
# and loads the machine the way production does, which the tests must
# survive anyway.  Each suite writes its own log; both are printed at the end.
set -uo pipefail
build=${1:?build dir}
python=${2:?python}
shift 2
logs=$build/test-logs
mkdir -p "$logs"

"$python" -m pytest -q -p no:cacheprovider tests/integration "$@" \
    > "$logs/integration.log" 2>&1 &
plain=$!
HRX_BUILD=$build/san HRX_SANITIZE=1 "$python" -m pytest -q -p no:cacheprovider \
    tests/integration "$@" > "$logs/integration-san.log" 2>&1 &
san=$!

wait $plain; plain_rc=$?
wait $san; san_rc=$?
for run in integration integration-san; do
    echo "== $run ($logs/$run.log)"
    cat "$logs/$run.log"
done
[ $plain_rc -eq 0 ] && [ $san_rc -eq 0 ]
