#!/usr/bin/env bash
# Load test of `appaudit serve` with wrk (Debian package): read endpoints and uploads.
#   bash bench/server_load.sh [build/bin/appaudit] [seconds per run, default 10]
# Starts a server on a free loopback port with a fresh data folder, submits the fixture apps
# (tests/fixtures, built into build/fixtures by ctest) and waits for their scans, then runs
# wrk with 2 threads and 16 connections against each endpoint, and one upload run (the same
# 8.6 KB APK again and again: each request streams the body to disk, hashes it, fsyncs it and
# finds the existing scan).
set -euo pipefail
bin=${1:-build/bin/appaudit}
secs=${2:-10}
fixtures=${APPAUDIT_FIXTURES:-$(dirname "$bin")/../fixtures}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
token=$("$bin" user add bench --role regulator --data-dir "$tmp/data" | tail -1)
"$bin" serve --data-dir "$tmp/data" --listen 127.0.0.1:0 --workers 2 >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q serving "$tmp/log" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$tmp/log")
n=0
for apk in "$fixtures"/apk/*.apk; do
  curl -s -o /dev/null -H "Authorization: Bearer $token" --data-binary @"$apk" \
    -H 'Content-Type: application/vnd.android.package-archive' "$base/api/v1/submissions"
  n=$((n + 1))
done
for _ in $(seq 600); do
  q=$(curl -s "$base/api/v1/health" | python3 -c 'import json,sys; q=json.load(sys.stdin)["queue"]; print(q["queued"]+q["running"])')
  [ "$q" = 0 ] && break
  sleep 0.2
done
echo "server $base: $n apps submitted and scanned; wrk -t2 -c16 -d${secs}s"
cat >"$tmp/upload.lua" <<LUA
local f = io.open("$fixtures/apk/an_policy_partial.apk", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/vnd.android.package-archive"
LUA
run() {
  local name=$1
  shift
  local out
  out=$(wrk -t2 -c16 -d"${secs}s" --latency -H "Authorization: Bearer $token" "$@")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out")
  printf '%-34s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
}
run "GET /api/v1/health (no auth)" "$base/api/v1/health"
run "GET /api/v1/me" "$base/api/v1/me"
run "GET /api/v1/apps" "$base/api/v1/apps"
run "GET /api/v1/scans?limit=50" "$base/api/v1/scans?limit=50"
run "GET /api/v1/scans/1 (with report)" "$base/api/v1/scans/1"
run "GET /api/v1/stats" "$base/api/v1/stats"
run "POST /api/v1/submissions (8.6 KB)" -s "$tmp/upload.lua" "$base/api/v1/submissions"
