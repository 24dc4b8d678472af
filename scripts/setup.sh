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
  # the platform's embedded database (store layer: SQLite 3.35+ for UPDATE ... RETURNING)
  libsqlite3-dev
  # the HTTP server of `appaudit serve`; wrk for its load test
  libcpp-httplib-dev wrk
  # PostgreSQL: the client library the store links (libpq), and the server the store and queue
  # tests start a throwaway instance of (scripts/pg_test_server.sh)
  libpq-dev postgresql
  # tests, benchmarks, fuzzing (clang's libFuzzer runtime)
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev python3 time
  # peers and fixture tools
  aapt dexdump apksigner zipalign libsmali-java android-framework-res unzip zip default-jre-headless
  # browser tests: the HTML report opened in headless Chromium (driven by playwright-core from
  # tests/browser, which never downloads a browser of its own), with a Chinese font for zh-CN
  chromium fonts-wqy-microhei fontconfig
)
# Node.js 20+ and npm run tests/browser (playwright-core, ajv). The machine image brings them;
# where they are missing, Debian's nodejs and npm are the fallback (scripts/npm_ci.sh
# says so if that Node.js is too old). Not both: Debian's npm conflicts with a Node.js that
# carries its own npm.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
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
