#!/bin/sh
# fuzz_replay.sh - every fuzz target's seed corpus and every input that
# once crashed a fuzzer (fuzz/regressions/TARGET) run through the target's
# entry point, built without libFuzzer. A crash, an abort or a sanitizer
# report fails the test.
set -u
status=0
for t in csv cli expr margins projection; do
    out=$("$top_builddir/tests/replay_$t" "$top_srcdir/fuzz/corpus/$t" \
        "$top_srcdir/fuzz/regressions/$t" 2>&1)
    rc=$?
    if [ "$rc" != 0 ] || printf '%s\n' "$out" | grep -q -e Sanitizer -e 'runtime error'; then
        echo "FAIL: $t (status $rc)"
        printf '%s\n' "$out" | tail -20
        status=1
    else
        echo "ok: $t: $(printf '%s\n' "$out" | tail -1)"
    fi
done
exit $status
