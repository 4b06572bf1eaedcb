#!/bin/sh
# test.sh — the full test suite, as CI runs it: install what the tests need,
# build three times (with AddressSanitizer + UndefinedBehaviorSanitizer; with
# clang's libFuzzer for a bounded fuzz run; plain, with valgrind checks), and
# run every suite under ctest. The output ends with ctest's summary of the
# plain build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
./scripts/install-deps.sh

echo "== build (sanitizers: address, undefined)"
./scripts/build.sh "$top/build-sanitize" -DSANITIZE=ON
echo "== tests under AddressSanitizer and UndefinedBehaviorSanitizer"
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j "$(nproc)" -LE valgrind)

echo "== build (libFuzzer, clang) and bounded fuzz runs (the classifier, the milter path)"
./scripts/build.sh "$top/build-fuzz" -DFUZZ=ON -DCMAKE_C_COMPILER=clang -DFUZZ_SECONDS=80 -DFUZZ_MILTER_SECONDS=60
(cd build-fuzz && ctest --output-on-failure)

echo "== build (plain)"
./scripts/build.sh "$top/build"
echo "== classifier corpus: confusion matrices"
./build/tests/test_corpus
echo "== tests (plain build, with valgrind)"
cd build && ctest --output-on-failure -j "$(nproc)"
