#!/usr/bin/env bash
# Installs everything appaudit needs to build and test, from Debian 12 packages only.
# Idempotent and quick when everything is already there.
set -euo pipefail
packages=(
  # build
  cmake ninja-build g++ ccache pkg-config
  # libraries: zip inflate, crypto/X.509, JSON, CLI parsing
  zlib1g-dev libssl-dev nlohmann-json3-dev libcli11-dev
  # spreadsheets (the findings as .xlsx)
  libxlsxwriter-dev
  # tests, benchmarks, fuzzing (clang's libFuzzer runtime)
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev python3 time
  # peers and fixture tools
  aapt dexdump apksigner zipalign smali android-framework-res unzip zip default-jre-headless
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
