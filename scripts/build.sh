#!/usr/bin/env bash
# Release build with warnings as errors into build/ (the CLI lands in build/bin/appaudit).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAPPAUDIT_WERROR=ON >/dev/null
cmake --build build -j "$(nproc)"
