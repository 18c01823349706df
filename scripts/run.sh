#!/usr/bin/env bash
# `make run`: nginx + hrx-scheduler on 127.0.0.1:8080 with data under var/.
# Ctrl-C stops both.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
data=$top/var
listen=${HRX_LISTEN:-127.0.0.1:8080}

mkdir -p "$data"
chmod 700 "$data"
mkdir -p "$data/logs" "$data/tmp"

# creates master.key, the database and, the first time only, the first admin
"$top/build/hrx-scheduler" --data-dir "$data" --init

"$top/scripts/gen-conf.sh" "$data" "$listen" > "$data/nginx.conf"

sched_pid=""
nginx_pid=""
stop() {
    trap - INT TERM EXIT
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null || true
    [ -n "$sched_pid" ] && kill -TERM "$sched_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    echo "hrx: stopped"
}
trap stop INT TERM EXIT

"$top/build/hrx-scheduler" --data-dir "$data" --log-stderr \
    --public-url "${HRX_PUBLIC_URL:-http://$listen}" &
sched_pid=$!

/usr/sbin/nginx -p "$data" -c "$data/nginx.conf" -e "$data/logs/error.log" \
    -g 'daemon off;' &
nginx_pid=$!

for _ in $(seq 50); do
    curl -fs "http://$listen/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done

cat <<MSG

hrx is running.
  admin:   http://$listen/
  health:  http://$listen/api/v1/health
  logs:    $data/logs/
Sign in with the first admin shown above (its password is printed only the
first time; stored hashed in $data/hrx.db). Ctrl-C stops nginx and the
scheduler.
MSG

wait -n "$sched_pid" "$nginx_pid" || true
