#!/bin/sh
# scripts/gen-conf.sh DATA_DIR LISTEN [WORKERS] > nginx.conf
# Fills scripts/nginx.conf.in for this checkout. Used by `make run`.
# HRX_PUBLIC_URL: the public address (default http://LISTEN).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
data=$(cd "$1" && pwd)
listen=$2
workers=${3:-auto}
user_line=""
# workers must be able to write the shm file and SQLite's -shm: as root,
# keep them as the owner of the data dir instead of nobody.
[ "$(id -u)" -eq 0 ] && user_line="user $(stat -c %U "$data") $(stat -c %G "$data");"
sed -e "s|@MODULE@|$top/build/ngx_http_hrx_module.so|" \
    -e "s|@USER_LINE@|$user_line|" \
    -e "s|@WORKERS@|$workers|" \
    -e "s|@DATA@|$data|g" \
    -e "s|@LOG_LEVEL@|${HRX_LOG_LEVEL:-info}|" \
    -e "s|@LISTEN@|$listen|" \
    -e "s|@PUBLIC_URL@|${HRX_PUBLIC_URL:-http://$listen}|" \
    -e "s|@HTML@|$top/html|" \
    -e "s|@TOP@|$top|" \
    -e "s|@EXTRA@||" \
    "$top/scripts/nginx.conf.in"
