#!/usr/bin/env bash
# Installs, builds and runs every test:
#   1. Release build (-Werror), all ctest tests (unit, e2e, corpus parity with aapt/dexdump/
#      apksigner, hostile inputs, fuzz-corpus replay; the HTML report in headless Chromium and
#      the SARIF schema check, after ctest's browser_npm_ci runs npm ci in tests/browser; the
#      store and queue tests on SQLite and on a throwaway PostgreSQL server,
#      scripts/pg_test_server.sh);
#   2. ASan+UBSan build of the parser tests and fuzz-corpus replay;
#   3. a short bounded libFuzzer run of each parser target (clang).
# Environment: FUZZ_SECONDS (default 20 per target), SKIP_ASAN=1, SKIP_FUZZ=1, APPAUDIT_TEST_PG
# (a libpq URI: use that PostgreSQL server instead of starting one).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

echo "== Release build and all tests"
bash scripts/build.sh
# The store and queue tests run on SQLite and on PostgreSQL: a throwaway PostgreSQL 15 server
# for them (unless APPAUDIT_TEST_PG already names one), stopped when the tests end.
if [ -z "${APPAUDIT_TEST_PG:-}" ]; then
  pg_dir=$(mktemp -d /tmp/appaudit-pg.XXXXXX)
  trap 'bash scripts/pg_test_server.sh stop "$pg_dir"' EXIT
  APPAUDIT_TEST_PG=$(bash scripts/pg_test_server.sh start "$pg_dir")
  export APPAUDIT_TEST_PG
fi
echo "PostgreSQL for the store and queue tests: $APPAUDIT_TEST_PG"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 1800
if [ -n "${pg_dir:-}" ]; then
  bash scripts/pg_test_server.sh stop "$pg_dir"
  trap - EXIT
  unset APPAUDIT_TEST_PG # the ASan stage below builds no store or queue tests
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  echo "== ASan+UBSan build: parser tests"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAPPAUDIT_SANITIZE=ON \
    -DAPPAUDIT_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs" --target core_test apk_test dex_test \
    replay_zip replay_axml replay_arsc replay_dex replay_signing replay_analysis replay_policy analysis_test \
    policy_tagger_train
  # Reuse the Release stage's fixtures and its cached peer outputs (aapt, dexdump, apksigner).
  APPAUDIT_FIXTURES="$PWD/build/fixtures" ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -L unit --timeout 1800
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  echo "== libFuzzer: short bounded run per target"
  secs=${FUZZ_SECONDS:-20}
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPPAUDIT_FUZZ=ON \
    -DAPPAUDIT_TESTS=OFF -DAPPAUDIT_BENCH=OFF -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build build-fuzz -j "$jobs"
  for t in zip axml arsc dex signing analysis policy; do
    work=$(mktemp -d)
    cp -r fuzz/corpus/$t/. "$work/"
    log="build-fuzz/fuzz_$t.log"
    if ! ./build-fuzz/bin/fuzz_$t "$work" -max_total_time="$secs" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="build-fuzz/${t}_" >"$log" 2>&1; then
      tail -40 "$log"
      echo "fuzz_$t FAILED (crash, leak, timeout or OOM); reproducer: build-fuzz/${t}_*" >&2
      exit 1
    fi
    rm -rf "$work"
    echo "fuzz_$t: ${secs}s, $(grep -m1 number_of_executed_units "$log" | awk '{print $2}') runs, no crash"
  done
fi
echo "all test stages passed"
