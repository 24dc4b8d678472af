#!/usr/bin/env bash
# Assembles the largest multi-DEX APK we can from real DEX files: every distinct DEX in the
# shared corpus (loose .dex files and classes*.dex of every APK), largest first, as
# classes.dex, classes2.dex, ... plus the manifest and resources of the 11 MB tvleanback APK.
# Usage: make_multidex.sh CORPUS OUT.apk
set -euo pipefail
corpus=${1:?corpus dir}
out=${2:?output apk}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dex" "$work/apk"
i=0
while IFS= read -r -d '' f; do
  cp "$f" "$work/dex/loose$i.dex"; i=$((i + 1))
done < <(find "$corpus" -name '*.dex' -print0)
while IFS= read -r -d '' a; do
  for e in $(unzip -Z1 "$a" 2>/dev/null | grep -E '^classes[0-9]*\.dex$' || true); do
    unzip -p "$a" "$e" > "$work/dex/apk$i.dex" 2>/dev/null || rm -f "$work/dex/apk$i.dex"
    i=$((i + 1))
  done
done < <(find "$corpus" -name '*.apk' -print0)
# Drop duplicates (same bytes) and anything that is not a DEX dexdump accepts.
n=1
for f in $(ls -S "$work/dex"/*.dex); do
  sum=$(sha256sum "$f" | cut -c1-64)
  [ -e "$work/seen.$sum" ] && continue
  : > "$work/seen.$sum"
  head -c 4 "$f" | grep -q '^dex' || continue
  dexdump "$f" >/dev/null 2>&1 || continue
  if [ $n -eq 1 ]; then name=classes.dex; else name=classes$n.dex; fi
  cp "$f" "$work/apk/$name"
  n=$((n + 1))
done
base="$corpus/large/com.example.android.tvleanback.apk"
(cd "$work/apk" && unzip -q "$base" AndroidManifest.xml resources.arsc)
rm -f "$out"
(cd "$work/apk" && zip -q -r "$out" AndroidManifest.xml resources.arsc && zip -q "$out" classes*.dex)
echo "$out: $((n - 1)) DEX files, $(du -h "$out" | cut -f1)"
