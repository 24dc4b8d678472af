#!/usr/bin/env bash
# Installs the npm packages of folder DIR exactly as its package-lock.json pins them (npm ci),
# unless DIR/node_modules was already installed from this same lock by this same Node.js.
#   bash scripts/npm_ci.sh DIR       (tests/browser, web)
# Run by ctest as the setup of the browser_deps and web_deps fixtures (tests/CMakeLists.txt)
# and by scripts/demo.sh; fails (and so fails the tests that need it) when Node.js is missing
# or older than 20 (Vite and playwright-core need 20), or when npm ci fails.
set -euo pipefail
dir=${1:?usage: npm_ci.sh DIR}
cd "$dir"
name="npm_ci $dir"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "$name: node and npm are needed (bash scripts/setup.sh installs them)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "$name: Node.js $(node --version) is too old; Vite and playwright-core need 20 or newer" >&2
  exit 1
fi
stamp=node_modules/.appaudit-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$name: node_modules is current ($want)"
  exit 0
fi
npm ci --no-audit --no-fund
echo "$want" >"$stamp"
echo "$name: installed ($want)"
