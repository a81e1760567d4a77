#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs the whole suite, then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the
# suite there too.  Exit status is non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

jobs=$(nproc)
status=0

echo "== build (RelWithDebInfo) =="
./scripts/build.sh build
echo "== tests =="
ctest --test-dir build --output-on-failure -j"$jobs" || status=1

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer) =="
./scripts/build.sh build-asan -DOT_SANITIZE=ON
echo "== tests under ASan + UBSan =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    OT_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j"$jobs" || status=1

if [ $status -eq 0 ]; then
    echo "test.sh: all suites passed"
else
    echo "test.sh: FAILURES (see above)"
fi
exit $status
