#!/usr/bin/env bash
# Installs this folder's npm packages exactly as package-lock.json pins them (npm ci), unless
# node_modules was already installed from this same lock by this same Node.js. Run by ctest as
# the setup of the browser_deps fixture; fails (and so fails the tests that need it) when Node.js
# is missing or too old, or when npm ci fails.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "npm_ci: node and npm are needed (bash scripts/setup.sh installs them)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "npm_ci: Node.js $(node --version) is too old; playwright-core needs 20 or newer" >&2
  exit 1
fi
stamp=node_modules/.appaudit-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "npm_ci: node_modules is current ($want)"
  exit 0
fi
npm ci --no-audit --no-fund
echo "$want" >"$stamp"
echo "npm_ci: installed ($want)"
