#!/bin/sh
# tab.sh - time tab on synthetic survey data: a 5 x 4 table with the
# Rao-Scott F test (the default), with all four tests, and with cell
# percentages, on data of 20 strata and 2000 PSUs.
#
# Usage: bench/tab.sh [ROWS ...]        (default 1000000)
# Run from the build directory (or set WFSTAT). Environment:
#   WFSTAT     the program (default ./cli/wfstat)
#   BENCH_DIR  where data files are kept (default ${TMPDIR:-/tmp}/wfstat-bench)
#   REPS       repetitions of each command; the time per command is the
#              extra time of REPS runs over the load alone, divided by REPS
#
# The data come from bench/gendata.c when it exists, otherwise from the awk
# generator below (same columns: stratum, psu, weight, y, f5, f4, id). Times
# are wall-clock seconds after the CSV is loaded and the design declared.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
WFSTAT=${WFSTAT:-$(pwd)/cli/wfstat}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/wfstat-bench}
REPS=${REPS:-5}
[ $# -gt 0 ] || set -- 1000000
if [ ! -x "$WFSTAT" ]; then
    echo "tab.sh: no wfstat at $WFSTAT (build first, or set WFSTAT)" >&2
    exit 2
fi
mkdir -p "$BENCH_DIR"

# Synthetic data: 20 strata of 100 PSUs, rows in random PSUs (not sorted),
# weights varying by stratum, a 5-level and a 4-level factor related to the
# stratum so that the table is not independent.
generate() {
    if [ -f "$here/gendata.c" ]; then
        gen="$BENCH_DIR/gendata"
        if [ ! -x "$gen" ] || [ "$here/gendata.c" -nt "$gen" ]; then
            # shellcheck disable=SC2046
            ${CC:-cc} -O2 -o "$gen" "$here/gendata.c" $(pkg-config --cflags --libs gsl) -lm
        fi
        "$gen" "$1"
        return
    fi
    awk -v n="$1" 'BEGIN {
        srand(20261207)
        print "stratum,psu,weight,y,f5,f4,id"
        split("A B C D E", L5, " "); split("w x y z", L4, " ")
        for (i = 1; i <= n; i++) {
            p = int(rand() * 2000); h = int(p / 100)
            w = (50 + 10 * h) * exp(0.3 * (rand() + rand() + rand() - 1.5))
            u = rand() + h / 80
            f5 = u < 0.15 ? 1 : u < 0.45 ? 2 : u < 0.7 ? 3 : u < 0.9 ? 4 : 5
            v = rand() + (f5 == 5 ? 0.2 : 0)
            f4 = v < 0.35 ? 1 : v < 0.6 ? 2 : v < 0.85 ? 3 : 4
            printf "s%02d,%d,%.4f,%.3f,%s,%s,%d\n", h + 1, p + 1, w, 50 + h + 10 * rand(), L5[f5], L4[f4], i
        }
    }'
}

now() { date +%s.%N; }

# Seconds to run a script (the least of three runs).
run_time() {
    best=""
    for k in 1 2 3; do
        t0=$(now)
        "$WFSTAT" "$1" >/dev/null
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

echo "| rows | load + design | tab f5 by f4 (F test) | test=all | pct=cell |"
echo "|---:|---:|---:|---:|---:|"
for n in "$@"; do
    csv="$BENCH_DIR/tab_$n.csv"
    [ -s "$csv" ] || generate "$n" >"$csv"
    base="$BENCH_DIR/tab_base.wfs"
    printf 'load "%s" as bench\ndesign weight=weight strata=stratum cluster=psu\n' "$csv" >"$base"
    tb=$(run_time "$base")
    line="| $n | $(printf '%.3f' "$tb") s"
    for c in "tab f5 by f4" "tab f5 by f4 test=all" "tab f5 by f4 pct=cell"; do
        s="$BENCH_DIR/tab_cmd.wfs"
        cp "$base" "$s"
        i=0
        while [ $i -lt "$REPS" ]; do echo "$c" >>"$s"; i=$((i + 1)); done
        tc=$(run_time "$s")
        per=$(echo "($tc - $tb) / $REPS" | bc -l)
        line="$line | $(printf '%.3f' "$per") s"
    done
    echo "$line |"
done
