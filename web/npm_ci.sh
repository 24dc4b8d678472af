#!/usr/bin/env bash
# Installs the dashboard's npm packages exactly as package-lock.json pins them (npm ci), unless
# node_modules was already installed from this same lock by this same Node.js. Run by ctest as
# the setup of the web_deps fixture (tests/CMakeLists.txt); fails when Node.js is missing or
# older than 20, or when npm ci fails. Same scheme as tests/browser/npm_ci.sh.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web/npm_ci: node and npm are needed (bash scripts/setup.sh installs them)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "web/npm_ci: Node.js $(node --version) is too old; Vite and playwright-core need 20 or newer" >&2
  exit 1
fi
stamp=node_modules/.appaudit-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "web/npm_ci: node_modules is current ($want)"
  exit 0
fi
npm ci --no-audit --no-fund
echo "$want" >"$stamp"
echo "web/npm_ci: installed ($want)"
