#!/bin/sh
# rake.sh - time raking on two margins and the estimates that follow, on
# synthetic survey data of 20 strata and 2000 PSUs.
#
# Usage: bench/rake.sh [ROWS ...]        (default 1000000)
# Run from the build directory (or set WFSTAT). Environment:
#   WFSTAT     the program (default ./cli/wfstat)
#   BENCH_DIR  where data files are kept (default ${TMPDIR:-/tmp}/wfstat-bench)
#   REPS       repetitions of each command; the time per command is the
#              extra time of REPS runs over the script without it, divided
#              by REPS (the least of three runs each)
#
# Columns: stratum, psu, weight, y, f5 (5 levels A-E), f4 (4 levels w-z),
# id; from bench/gendata.c when it exists, otherwise from the awk generator
# below. The margins total 1e8 and differ from the sample's shares, so the
# weights really move. Reported: load + design; rake f5 and f4 to 1e-10;
# then, on the raked design, mean y, mean y by f5 and prop f4 (each with
# the ten backfitting sweeps of the raking variance).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
WFSTAT=${WFSTAT:-$(pwd)/cli/wfstat}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/wfstat-bench}
REPS=${REPS:-5}
[ $# -gt 0 ] || set -- 1000000
if [ ! -x "$WFSTAT" ]; then
    echo "rake.sh: no wfstat at $WFSTAT (build first, or set WFSTAT)" >&2
    exit 2
fi
mkdir -p "$BENCH_DIR"

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
        "$WFSTAT" --bail "$1" >/dev/null
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

rake='rake f5=A:20000000,B:25000000,C:25000000,D:15000000,E:15000000 f4=w:30000000,x:30000000,y:20000000,z:20000000'

echo "| rows | load + design | rake f5, f4 | mean y | mean y by f5 | prop f4 |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in "$@"; do
    csv="$BENCH_DIR/survey_$n.csv"
    [ -s "$csv" ] || generate "$n" >"$csv"
    base="$BENCH_DIR/rake_base.wfs"
    printf 'load "%s" as bench\ndesign weight=weight strata=stratum cluster=psu\n' "$csv" >"$base"
    tb=$(run_time "$base")
    # Raking: each repetition starts again from the design weights.
    s="$BENCH_DIR/rake_cmd.wfs"
    cp "$base" "$s"
    i=0
    while [ $i -lt "$REPS" ]; do
        printf 'design weight=weight strata=stratum cluster=psu\n%s\n' "$rake" >>"$s"
        i=$((i + 1))
    done
    td=$(run_time "$s")
    # The cost of re-declaring the design, to take out of the raking time.
    s2="$BENCH_DIR/rake_design.wfs"
    cp "$base" "$s2"
    i=0
    while [ $i -lt "$REPS" ]; do echo 'design weight=weight strata=stratum cluster=psu' >>"$s2"; i=$((i + 1)); done
    tdd=$(run_time "$s2")
    per=$(echo "($td - $tdd) / $REPS" | bc -l)
    line="| $n | $(printf '%.3f' "$tb") s | $(printf '%.3f' "$per") s"
    raked="$BENCH_DIR/rake_raked.wfs"
    cp "$base" "$raked"
    echo "$rake" >>"$raked"
    tr=$(run_time "$raked")
    for c in "mean y" "mean y by f5" "prop f4"; do
        s="$BENCH_DIR/rake_est.wfs"
        cp "$raked" "$s"
        i=0
        while [ $i -lt "$REPS" ]; do echo "$c" >>"$s"; i=$((i + 1)); done
        tc=$(run_time "$s")
        per=$(echo "($tc - $tr) / $REPS" | bc -l)
        line="$line | $(printf '%.3f' "$per") s"
    done
    echo "$line |"
done
