#!/usr/bin/env bash
# Side-by-side: `appaudit scan` (full parse of the APK/DEX: zip, manifest, resources,
# signatures, every DEX file's classes, methods and code items, JSON report) next to
# `dexdump` (plain listing; AOSP, Debian package) on the same inputs, in one run.
# Prints median wall time over RUNS runs and peak RSS of each.
# Usage: bench/compare_dexdump.sh [build/bin/appaudit] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
appaudit=${1:-build/bin/appaudit}
runs=${2:-5}
corpus=../shared/corpus
multi=build/bench/multidex.apk
mkdir -p build/bench
[ -f "$multi" ] || bash bench/make_multidex.sh "$(cd "$corpus" && pwd)" "$(pwd)/$multi" >&2
inputs=("$corpus/large/com.example.android.tvleanback.apk"
        "$corpus/large/dc4b1bb9d58daa82f29e60f79d5662f731a3351f.37.dex"
        "$corpus/large/org.andstatus.app_254.dex"
        "$multi")

measure() {  # prints "median_seconds max_rss_kb"
  local times=() rss=0 line
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o build/bench/time.txt "$@" >/dev/null 2>&1 || true
    line=$(tail -1 build/bench/time.txt)
    times+=("${line% *}")
    [ "${line#* }" -gt "$rss" ] && rss=${line#* }
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")" "$rss"
}

printf '%-48s %12s %12s %12s %12s\n' input "appaudit s" "dexdump s" "appaudit MB" "dexdump MB"
for f in "${inputs[@]}"; do
  read -r at am < <(measure "$appaudit" scan --format json -o /dev/null "$f")
  read -r dt dm < <(measure dexdump "$f")
  printf '%-48s %12s %12s %12d %12d\n' "$(basename "$f" | cut -c1-48)" "$at" "$dt" $((am / 1024)) $((dm / 1024))
done
