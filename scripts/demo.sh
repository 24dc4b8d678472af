#!/usr/bin/env bash
# The main job: install, build, build the sample APKs from source (tests/fixtures), print
# appaudit's report on one, then start the platform — `appaudit serve` with the dashboard —
# with sample apps already submitted (the fixtures, and a real app with third-party SDKs from
# the shared corpus when it is beside the repo), so that a newcomer sees a populated
# dashboard. Ctrl-C stops the server; its data stays in ./appaudit-demo.
# Environment: DEMO_LISTEN (default 127.0.0.1:8080), DEMO_NO_SERVE=1 (report only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bash tests/fixtures/build_fixtures.sh build/fixtures >/dev/null
./build/bin/appaudit scan build/fixtures/apk/an_policy_partial.apk --format text
[ "${DEMO_NO_SERVE:-0}" = 1 ] && exit 0

if [ -f web/package.json ]; then
  echo "== building the dashboard (npm)"
  bash scripts/npm_ci.sh web && (cd web && npm run build --silent)
fi
data=./appaudit-demo
samples=()
for f in an_policy_partial an_policy_full an_perm_request an_sdk an_type_browser hello; do
  samples+=(--sample "build/fixtures/apk/$f.apk")
done
for f in ../shared/corpus/bugly/apks/BuglyHotfixDemo-tinker1.9.14.apk; do
  [ -f "$f" ] && samples+=(--sample "$f")
done
echo
echo "== the platform: open the address below and sign in with the demo token it prints"
echo "   (API: /api/v1, described at /api/v1/openapi.json; more users: appaudit user add)"
exec ./build/bin/appaudit serve --data-dir "$data" --listen "${DEMO_LISTEN:-127.0.0.1:8080}" \
  "${samples[@]}"
