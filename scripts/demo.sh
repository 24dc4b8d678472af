#!/usr/bin/env bash
# The main job: install, build, build the sample APK from source (tests/fixtures/apps/hello)
# and print appaudit's report on it; then the summary for a real app with third-party SDKs
# from the shared corpus (Tencent's Bugly hot-fix demo), when the corpus is beside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bash tests/fixtures/build_fixtures.sh build/fixtures >/dev/null
./build/bin/appaudit scan build/fixtures/apk/hello.apk --format text
echo
echo "JSON report (the canonical output):"
./build/bin/appaudit scan build/fixtures/apk/hello.apk --format json
real=../shared/corpus/bugly/apks/BuglyHotfixDemo-tinker1.9.14.apk
if [ -f "$real" ]; then
  echo
  echo "A real app: who collects what, and before consent?"
  ./build/bin/appaudit scan "$real" --format text | sed -n '/^  sdks/,$p'
fi
