#!/bin/sh
# replicate.sh - time replicate-weight variance: 80 bootstrap replicates on
# synthetic data (20 strata, 2000 PSUs), estimates with replicate factors
# per PSU, then post-stratified (every replicate re-weighted, giving full
# replicate-weight columns) and the same estimates again.
#
# Usage: bench/replicate.sh [ROWS ...]        (default 1000000 5000000)
# Run from the build directory (or set WFSTAT). Environment as estimate.sh:
#   WFSTAT     the program (default ./cli/wfstat)
#   BENCH_DIR  where data files are kept (default ${TMPDIR:-/tmp}/wfstat-bench)
# Prints the time of each command (set timing=on) and the peak memory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
WFSTAT=${WFSTAT:-$(pwd)/cli/wfstat}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/wfstat-bench}
[ $# -gt 0 ] || set -- 1000000 5000000
mkdir -p "$BENCH_DIR"
gen="$BENCH_DIR/gendata"
if [ ! -x "$gen" ] || [ "$here/gendata.c" -nt "$gen" ]; then
    # shellcheck disable=SC2046
    ${CC:-cc} -O2 -o "$gen" "$here/gendata.c" $(pkg-config --cflags --libs gsl) -lm
fi
for n in "$@"; do
    csv="$BENCH_DIR/est_$n.csv"
    [ -s "$csv" ] || "$gen" "$n" >"$csv"
    script="$BENCH_DIR/rep_$n.wfs"
    cat >"$script" <<EOS
set timing=on
load "$csv" as bench
design weight=weight strata=stratum cluster=psu
replicate bootstrap reps=80 seed=3
mean y
mean y by f5
poststratify f5=A:1000000,B:2000000,C:3000000,D:1500000,E:500000
mean y
mean y by f5
EOS
    echo "## $n rows"
    /usr/bin/time -f "peak memory: %M KB" "$WFSTAT" "$script" 2>&1 >/dev/null |
        sed -n 's/^time: /  /p; s/^peak/  peak/p'
done
