#!/bin/sh
# estimate.sh - time the estimation core: design, mean, and mean by a
# 5-level factor on synthetic data of 20 strata and 2000 PSUs, inside one
# wfstat process (set timing=on reports each command), and the same with
# R's survey package side by side when Rscript is available.
#
# Usage: bench/estimate.sh [ROWS ...]        (default 1000000 5000000)
# Run from the build directory (or set WFSTAT). Environment:
#   WFSTAT     the program (default ./cli/wfstat)
#   BENCH_DIR  where data files are kept (default ${TMPDIR:-/tmp}/wfstat-bench)
#   REPS       repetitions of each wfstat command; the minimum is reported (5)
#   R_REPS     repetitions of each R call (1)
#   NO_R=1     skip R
# Prints a Markdown table: seconds per command, R's time over wfstat's, and
# the largest relative difference between wfstat's and R's mean and SE.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
WFSTAT=${WFSTAT:-$(pwd)/cli/wfstat}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/wfstat-bench}
REPS=${REPS:-5}
R_REPS=${R_REPS:-1}
[ $# -gt 0 ] || set -- 1000000 5000000
if [ ! -x "$WFSTAT" ]; then
    echo "estimate.sh: no wfstat at $WFSTAT (build first, or set WFSTAT)" >&2
    exit 2
fi
mkdir -p "$BENCH_DIR"
gen="$BENCH_DIR/gendata"
if [ ! -x "$gen" ] || [ "$here/gendata.c" -nt "$gen" ]; then
    # shellcheck disable=SC2046
    ${CC:-cc} -O2 -o "$gen" "$here/gendata.c" $(pkg-config --cflags --libs gsl) -lm
fi
use_r=0
if [ "${NO_R:-0}" != 1 ] && command -v Rscript >/dev/null 2>&1 &&
    Rscript -e 'suppressMessages(library(survey))' >/dev/null 2>&1; then
    use_r=1
fi

# The least time of the log lines (file $1) for exactly the command $2.
tmin() {
    awk -v c="$2" '{ t = $2; sub(/^time: [0-9.]+ s  /, "") }
        $0 == c && (m == "" || t + 0 < m + 0) { m = t } END { print m }' "$1"
}

echo "| rows | load | design | mean y | mean y by f5 | R design | R svymean | R svyby | R/wfstat mean | R/wfstat by | agreement |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "$@"; do
    csv="$BENCH_DIR/est_$n.csv"
    [ -s "$csv" ] || "$gen" "$n" >"$csv"
    script="$BENCH_DIR/est_$n.wfs"
    cload="load \"$csv\" as bench"
    cdesign="design weight=weight strata=stratum cluster=psu"
    {
        echo "set timing=on"
        echo "$cload"
        echo "$cdesign"
        i=0
        while [ $i -lt "$REPS" ]; do echo "mean y"; i=$((i + 1)); done
        i=0
        while [ $i -lt "$REPS" ]; do echo "mean y by f5"; i=$((i + 1)); done
    } >"$script"
    log="$BENCH_DIR/est_$n.log"
    "$WFSTAT" --format=json --bail "$script" >"$BENCH_DIR/est_$n.json" 2>"$log"
    load=$(tmin "$log" "$cload")
    design=$(tmin "$log" "$cdesign")
    mean=$(tmin "$log" "mean y")
    by=$(tmin "$log" "mean y by f5")
    rd=- rm=- rb=- qm=- qb=- agree=-
    if [ $use_r = 1 ]; then
        rout="$BENCH_DIR/est_$n.R.out"
        Rscript - "$csv" "$R_REPS" >"$rout" 2>&1 <<'EOF'
suppressMessages(library(survey))
a <- commandArgs(TRUE); reps <- as.integer(a[2])
df <- read.csv(a[1], colClasses = c("character", "integer", "numeric", "numeric",
                                    "character", "character", "integer"))
best <- function(expr) {
  f <- substitute(expr); e <- parent.frame()
  min(sapply(seq_len(reps), function(i) system.time(eval(f, e))[["elapsed"]]))
}
td <- system.time(d <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight,
                                 data = df))[["elapsed"]]
tm <- best(m <- svymean(~y, d))
tb <- best(b <- svyby(~y, ~f5, d, svymean))
cat(sprintf("times %.4f %.4f %.4f\n", td, tm, tb))
cat(sprintf("mean %.17g %.17g\n", coef(m), SE(m)))
EOF
        line=$(grep '^times' "$rout" || true)
        if [ -n "$line" ]; then
            rd=$(echo "$line" | awk '{ print $2 }')
            rm=$(echo "$line" | awk '{ print $3 }')
            rb=$(echo "$line" | awk '{ print $4 }')
            qm=$(awk -v r="$rm" -v w="$mean" 'BEGIN { printf "%.0f", r / w }')
            qb=$(awk -v r="$rb" -v w="$by" 'BEGIN { printf "%.0f", r / w }')
            # The largest relative difference of wfstat's mean and SE from R's.
            ours=$(grep -m1 '"command":"mean"' "$BENCH_DIR/est_$n.json" |
                sed 's/.*"estimate":\([^,]*\),"se":\([^,]*\),.*/\1 \2/')
            agree=$(grep '^mean' "$rout" | awk -v o="$ours" '{ split(o, w, " ")
                a = w[1] - $2; b = w[2] - $3; a = (a < 0 ? -a : a) / $2; b = (b < 0 ? -b : b) / $3
                printf "%.1e", (a > b ? a : b) }')
        else
            echo "estimate.sh: R failed for $n rows; see $rout" >&2
        fi
    fi
    echo "| $n | $load | $design | $mean | $by | $rd | $rm | $rb | $qm | $qb | $agree |"
done
