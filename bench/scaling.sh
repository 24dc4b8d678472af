#!/usr/bin/env bash
# Scaling of the full `appaudit scan` with code size: APKs made of the DEX files of the
# >= 50k-class multi-DEX APK (make_big_multidex.sh; every class distinct but for <2%) that fit
# in 0.5, 1, 2, 4, ... 32 MB of DEX (largest first), then all of them; same manifest and
# resources. Prints a markdown table: DEX files, DEX MB,
# classes, methods, instructions, median wall seconds over REPEATS runs, peak RSS MB, and
# microseconds per method. Extra APK/DEX files given after REPEATS get a row each.
# Usage: bench/scaling.sh [APPAUDIT_BIN] [REPEATS] [EXTRA.apk ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
appaudit=$(realpath "${1:-$root/build/bin/appaudit}")
repeats=${2:-3}
shift $(($# > 2 ? 2 : $#))
bench=$root/build/bench
big=$bench/multidex_big.apk
[ -f "$big" ] || bash "$root/bench/make_big_multidex.sh" "$big" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
(cd "$work/src" && unzip -q "$big")

measure() {  # prints "median_seconds max_rss_kb"
  local times=() rss=0 line
  for _ in $(seq "$repeats"); do
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null 2>&1
    line=$(tail -1 "$work/time.txt")
    times+=("${line% *}")
    [ "${line#* }" -gt "$rss" ] && rss=${line#* }
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((repeats + 1) / 2))p")" "$rss"
}

row() {  # row LABEL FILE
  local stats t m
  stats=$("$appaudit" scan "$2" --format json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
dex = d.get("dex", [])
print(len(dex), sum(x["size"] for x in dex), d.get("classes_total", 0),
      sum(x["methods"] for x in dex), sum(x["instructions"] for x in dex))')
  read -r n bytes classes methods insns <<<"$stats"
  read -r t m < <(measure "$appaudit" scan "$2" --format json -o /dev/null)
  printf '| %s | %d | %.1f | %d | %d | %.1f | %s | %d | %.1f |\n' "$1" "$n" \
    "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$classes" "$methods" \
    "$(awk -v b="$insns" 'BEGIN{print b/1e6}')" "$t" $((m / 1024)) \
    "$(awk -v t="$t" -v c="$methods" 'BEGIN{printf "%.1f", (c > 0 ? t * 1e6 / c : 0)}')"
}

echo "appaudit: $appaudit ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')); repeats: $repeats; $(date -u +%Y-%m-%d); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| input | DEX files | DEX MB | classes | methods | instructions (M) | seconds | RSS MB | µs / method |"
echo "|---|---|---|---|---|---|---|---|---|"
# Size steps: for each target, the DEX files of multidex_big (largest first) that fit in it.
for target_mb in 0.5 1 2 4 8 16 32 1000000; do
  rm -rf "$work/apk" && mkdir "$work/apk"
  cp "$work/src/AndroidManifest.xml" "$work/src/resources.arsc" "$work/apk/"
  budget=$(awk -v t="$target_mb" 'BEGIN{printf "%d", t * 1e6}')
  n=0
  for f in $(ls -S "$work/src"/classes*.dex); do
    size=$(stat -c %s "$f")
    [ "$size" -gt "$budget" ] && continue
    budget=$((budget - size))
    n=$((n + 1))
    if [ "$n" -eq 1 ]; then name=classes.dex; else name=classes$n.dex; fi
    ln -s "$f" "$work/apk/$name"
  done
  [ "$n" -gt 0 ] || continue
  rm -f "$work/part.apk"
  (cd "$work/apk" && zip -q -X -0 "$work/part.apk" AndroidManifest.xml resources.arsc &&
   zip -q -X "$work/part.apk" classes*.dex)
  if [ "$target_mb" = 1000000 ]; then label="multidex_big (all)"; else label="multidex_big ≤ $target_mb MB"; fi
  row "$label" "$work/part.apk"
done
for f in "$@"; do row "$(basename "$f")" "$f"; done
