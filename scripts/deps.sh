#!/bin/sh
# Install the Debian packages hrx needs that are not installed yet.
#   scripts/deps.sh run    what `make run` needs
#   scripts/deps.sh test   that plus the test tools (and playwright-core)
set -eu
run_pkgs="nginx nginx-dev libpcre2-dev libssl-dev libcurl4-openssl-dev
libmsgpack-dev libjansson-dev libsqlite3-dev zlib1g-dev gcc make"
test_pkgs="libcmocka-dev python3-pytest python3-requests python3-aiosmtpd
python3-cryptography
valgrind wrk chromium fonts-noto-cjk clang"

want=$run_pkgs
[ "${1:-run}" = run ] || want="$run_pkgs $test_pkgs"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "hrx: installing$missing" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The browser tests drive Debian's chromium with playwright-core from npm
# (package.json / package-lock.json; it never downloads a browser).
if [ "${1:-run}" != run ] && [ ! -d "$(dirname "$0")/../node_modules/playwright-core" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "hrx: npm ci (playwright-core)" >&2
        (cd "$(dirname "$0")/.." && npm ci --no-audit --no-fund)
    else
        echo "hrx: node/npm not found: the browser tests need node >= 20" >&2
    fi
fi
