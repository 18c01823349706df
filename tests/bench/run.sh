#!/bin/sh
# make bench: every benchmark prints ratios against nginx `return 200`
# measured in the same run, because these machines are noisy.
set -eu
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/bench/bench.py "$@"
