#!/usr/bin/env bash
# Side-by-side, same inputs, one run: the full `appaudit scan` next to `dexdump -d`
# (disassembly of every DEX file of the APK; AOSP, Debian package) and androguard's
# AnalyzeAPK (Debian package; parses the APK and every DEX and builds its cross-reference
# analysis). Prints a markdown table: median wall time and peak RSS of each, and the ratios
# dexdump-d/appaudit and androguard/appaudit (> 1: appaudit is faster).
#
# DEX files are extracted before timing (dexdump -d gets them all in one process).
# androguard runs under `timeout` (AG_TIMEOUT, default 900 s; "timeout" in the table) and,
# for inputs larger than AG_ONCE_MB (default 15 MB), only once ("n=1" in the table).
#
# Usage: bench/compare_full.sh [APPAUDIT_BIN] [REPEATS] [APK|DEX ...]
# Default inputs: the largest corpus APK (tvleanback, 11 MB), three mid-size corpus APKs,
# an 18 MB and a 24 MB (>= 50k classes) multi-DEX APK built by make_big_multidex.sh (the
# corpus has no APK larger than 11 MB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
appaudit=$(realpath "${1:-$root/build/bin/appaudit}")
repeats=${2:-3}
shift $(($# > 2 ? 2 : $#))
corpus=${APPAUDIT_CORPUS_DIR:-$root/../shared/corpus}
bench=$root/build/bench
ag_timeout=${AG_TIMEOUT:-900}
ag_once_mb=${AG_ONCE_MB:-15}
python=/usr/bin/python3  # Debian's, which has androguard (not a pyenv python on PATH)
mkdir -p "$bench"

if [ $# -gt 0 ]; then
  inputs=("$@")
else
  [ -f "$bench/multidex_18m.apk" ] || bash "$root/bench/make_big_multidex.sh" "$bench/multidex_18m.apk" 38000 >&2
  [ -f "$bench/multidex_big.apk" ] || bash "$root/bench/make_big_multidex.sh" "$bench/multidex_big.apk" 50000 >&2
  inputs=("$corpus/large/com.example.android.tvleanback.apk"
          "$corpus/androguard/data/APK/com.example.android.wearable.wear.weardrawers.apk"
          "$corpus/bugly/apks/BuglyHotfixDemo-tinker1.9.14.apk"
          "$corpus/androguard/data/APK/app-prod-debug.apk"
          "$bench/multidex_18m.apk"
          "$bench/multidex_big.apk")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure N CMD...: runs CMD N times; prints "median_seconds max_rss_kb" or "timeout -" /
# "failed -" when a run timed out (exit 124) or failed.
measure() {
  local n=$1 times=() rss=0 line status
  shift
  for _ in $(seq "$n"); do
    /usr/bin/time -f '%e %M %x' -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || true
    line=$(tail -1 "$work/time.txt")
    read -r t m status <<<"$line"
    if [ "$status" = 124 ]; then echo "timeout -"; return; fi
    if [ "$status" != 0 ]; then
      echo "measure: exit $status: $* ($(tail -1 "$work/stderr.txt"))" >&2
      echo "failed -"; return
    fi
    times+=("$t")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((n + 1) / 2))p")" "$rss"
}

ratio() { [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.1f" : "-"), a / (b > 0 ? b : 1) }' || echo "-"; }
mb() { [[ $1 =~ ^[0-9]+$ ]] && echo $(($1 / 1024)) || echo "-"; }

echo "appaudit: $appaudit ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')); repeats: $repeats; $(date -u +%Y-%m-%d); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| input | APK MB | DEX files | DEX MB | classes | appaudit s | dexdump -d s | androguard s | appaudit RSS MB | dexdump -d RSS MB | androguard RSS MB | dexdump -d / appaudit | androguard / appaudit |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for f in "${inputs[@]}"; do
  f=$(realpath "$f")
  rm -rf "$work/dex" && mkdir -p "$work/dex"
  if [[ $f == *.dex ]]; then
    cp "$f" "$work/dex/classes.dex"
    ag_code='import sys
from androguard.misc import AnalyzeDex; AnalyzeDex(sys.argv[1])'
  else
    (cd "$work/dex" && unzip -qo "$f" 'classes*.dex')
    ag_code='import sys
from androguard.misc import AnalyzeAPK; a,d,dx = AnalyzeAPK(sys.argv[1])'
  fi
  dexes=("$work"/dex/classes*.dex)
  dex_bytes=$(cat "${dexes[@]}" | wc -c)
  classes=$("$appaudit" scan "$f" --format json | "$python" -c 'import json,sys; print(json.load(sys.stdin).get("classes_total","?"))')
  read -r at am < <(measure "$repeats" "$appaudit" scan "$f" --format json -o /dev/null)
  read -r dt dm < <(measure "$repeats" dexdump -d "${dexes[@]}")
  size=$(stat -c %s "$f")
  ag_n=$repeats
  [ "$size" -gt $((ag_once_mb * 1000000)) ] && ag_n=1
  read -r gt gm < <(cd "$work" && measure "$ag_n" timeout "$ag_timeout" "$python" -c "$ag_code" "$f")
  [ "$ag_n" != "$repeats" ] && [[ $gt =~ ^[0-9.]+$ ]] && gt="$gt (n=1)"
  printf '| %s | %.1f | %d | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$(basename "$f")" "$(awk -v s="$size" 'BEGIN{print s/1e6}')" "${#dexes[@]}" \
    "$(awk -v s="$dex_bytes" 'BEGIN{print s/1e6}')" "$classes" "$at" "$dt" "$gt" \
    "$(mb "$am")" "$(mb "$dm")" "$(mb "$gm")" "$(ratio "$dt" "$at")" "$(ratio "${gt%% *}" "$at")"
done
