#!/usr/bin/env bash
# The main job: install, build, build the sample APK from source (tests/fixtures/apps/hello)
# and print appaudit's report on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bash tests/fixtures/build_fixtures.sh build/fixtures >/dev/null
./build/bin/appaudit scan build/fixtures/apk/hello.apk --format text
echo
echo "JSON report (the canonical output):"
./build/bin/appaudit scan build/fixtures/apk/hello.apk --format json
