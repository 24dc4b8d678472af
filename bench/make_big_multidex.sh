#!/usr/bin/env bash
# Builds a big multi-DEX APK (>= 50,000 distinct classes, ~150 DEX files) from the real DEX
# files of the shared corpus, replicated under renamed packages where the corpus runs out
# (see make_big_multidex.py for how), then checks that dexdump accepts every DEX file.
# Deterministic: the same corpus gives the same bytes. ~40 s on the 2-core machine.
# Usage: bench/make_big_multidex.sh [OUT.apk] [CLASSES]   (default build/bench/multidex_big.apk)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/bench/multidex_big.apk}
classes=${2:-50000}
corpus=${APPAUDIT_CORPUS_DIR:-$root/../shared/corpus}
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
/usr/bin/python3 "$root/bench/make_big_multidex.py" "$corpus" "$out" --classes "$classes"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && unzip -q "$out" 'classes*.dex')
bad=$(cd "$work" && ls classes*.dex | xargs -P2 -n1 sh -c 'dexdump "$0" >/dev/null 2>&1 || echo "$0"')
if [ -n "$bad" ]; then
  echo "make_big_multidex: dexdump rejects: $bad" >&2
  exit 1
fi
echo "dexdump accepts all $(ls "$work"/classes*.dex | wc -l) DEX files"
