#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 60), starting from its
# checked-in corpus.  New inputs go to build-fuzz/corpus/<name>/, crashes to
# build-fuzz/crashes/; add a fixed crash's reproducer to fuzz/corpus/<name>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 300 proto_tls decode
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
secs=${1:-60}
shift || true
CC=clang ./scripts/build.sh build-fuzz -DOT_FUZZ=ON -DOT_TESTS=OFF -DCMAKE_C_COMPILER=clang >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in fuzz/fuzz_*.c; do
        n=$(basename "$f" .c)
        targets+=("${n#fuzz_}")
    done
fi
mkdir -p build-fuzz/crashes
status=0
for t in "${targets[@]}"; do
    work=build-fuzz/corpus/$t
    mkdir -p "$work"
    echo "== fuzz_$t for ${secs}s =="
    if ! build-fuzz/fuzz/fuzz_"$t" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix=build-fuzz/crashes/"$t"- "$work" "fuzz/corpus/$t" 2>build-fuzz/"$t".log; then
        echo "fuzz_$t: FOUND A CRASH (see build-fuzz/$t.log and build-fuzz/crashes/)"
        status=1
    fi
    grep -E "stat::number_of_executed_units|cov:" build-fuzz/"$t".log | tail -2 || true
done
exit $status
