#!/bin/sh
# driver.sh - the benchmark of issue 11: wfstat and R's survey package side
# by side on the same synthetic files, written to bench/results.md.
#
# Usage: bench/driver.sh [ROWS ...]          (default 100000 1000000 5000000)
# Run from the build directory (make bench does). Environment:
#   WFSTAT     the program (default ./cli/wfstat)
#   BENCH_DIR  where data files are kept (default ${TMPDIR:-/tmp}/wfstat-bench)
#   RUNS       wfstat runs per size (default 5; 3 at 5e6 rows and over)
#   NO_R=1     skip R;  R_MAX_ROWS  skip R above this many rows
#   RESULTS    the Markdown file whose driver section is rewritten
#              (default bench/results.md beside this script; - for stdout)
#
# For each size: bench/gendata.c writes the data and population margins
# (seeded). wfstat runs, RUNS times, one process each, with `set timing=on`:
#   load CSV; design strata=stratum cluster=psu weight=weight; mean y;
#   mean y by f5; tab f5 by f4; rake f5=... f4=...; mean y
# giving the best and the median time of each step, and the peak resident
# memory of the process (GNU time, median of the runs). Then the dataset is
# saved as a .wfb snapshot and reloaded (best and median of RUNS loads).
# bench/pass.c times one plain pass over the same columns in memory. R runs
# bench/survey.R once on the same file (fread when data.table is
# installed), with its peak memory, and the mean of y and its SE are
# compared: the run fails if they differ from R's by more than 1e-9
# (relative).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
WFSTAT=${WFSTAT:-$(pwd)/cli/wfstat}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/wfstat-bench}
RESULTS=${RESULTS:-$here/results.md}
[ $# -gt 0 ] || set -- 100000 1000000 5000000
[ -x "$WFSTAT" ] || { echo "driver.sh: no wfstat at $WFSTAT (build first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "driver.sh: needs GNU time in /usr/bin/time" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
cc=${CC:-cc}
build() { # build NAME: bench/NAME.c into BENCH_DIR when newer
    if [ ! -x "$BENCH_DIR/$1" ] || [ "$here/$1.c" -nt "$BENCH_DIR/$1" ]; then
        # shellcheck disable=SC2046
        $cc -O2 -o "$BENCH_DIR/$1" "$here/$1.c" $(pkg-config --cflags --libs gsl) -lm
    fi
}
build gendata
build pass
use_r=0
if [ "${NO_R:-0}" != 1 ] && command -v Rscript >/dev/null 2>&1 &&
    Rscript -e 'suppressMessages(library(survey))' >/dev/null 2>&1; then
    use_r=1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/driver.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out="$tmp/section.md"

# best and median of the numbers on stdin
stats() { sort -g | awk '{ a[NR] = $1 } END { printf "%.4f %.4f", a[1], a[int((NR + 1) / 2)] }'; }
# the time lines (file $1) of exactly the command $2, one number a line
times_of() {
    awk -v c="$2" '{ t = $2; sub(/^time: [0-9.]+ s  /, "") } $0 == c { print t }' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.0f", a / b; else printf "-" }'; }

{
    echo "Machine: $(nproc) cores of $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"
    echo "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr);"
    echo "$("$WFSTAT" --version 2>/dev/null | head -1); $(Rscript --version 2>&1 | head -1 || true)."
    echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
} >"$out"

summary="$tmp/summary"
: >"$summary"
for n in "$@"; do
    runs=${RUNS:-5}
    [ -z "${RUNS:-}" ] && [ "$n" -ge 5000000 ] && runs=3
    csv="$BENCH_DIR/driver_$n.csv"
    margins="$BENCH_DIR/driver_$n.margins"
    if [ ! -s "$csv" ] || [ ! -s "$margins" ]; then
        "$BENCH_DIR/gendata" "$n" 20261123 "$margins" >"$csv.tmp"
        mv "$csv.tmp" "$csv"
    fi
    mb=$(wc -c <"$csv" | awk '{ printf "%.1f", $1 / 1e6 }')
    rake=$(awk '{ m[$1] = m[$1] (m[$1] == "" ? "" : ",") $2 ":" $3 }
        END { printf "rake f5=%s f4=%s epsilon=1e-10", m["f5"], m["f4"] }' "$margins")
    cload="load \"$csv\" as bench"
    cdesign="design weight=weight strata=stratum cluster=psu"
    printf 'set timing=on\n%s\n%s\nmean y\nmean y by f5\ntab f5 by f4\n%s\nmean y\n' \
        "$cload" "$cdesign" "$rake" >"$tmp/run.wfs"
    : >"$tmp/log"
    : >"$tmp/rss"
    : >"$tmp/wall"
    i=0
    while [ $i -lt "$runs" ]; do
        /usr/bin/time -f '%M %e' -o "$tmp/t" "$WFSTAT" --format=json --bail "$tmp/run.wfs" \
            >"$tmp/json" 2>>"$tmp/log"
        awk '{ print $1 / 1024 }' "$tmp/t" >>"$tmp/rss"
        awk '{ print $2 }' "$tmp/t" >>"$tmp/wall"
        i=$((i + 1))
    done
    # Two `mean y`: the first before raking, the second after.
    awk -v c="mean y" '{ t = $2; sub(/^time: [0-9.]+ s  /, "") } $0 == c { k++; print t > (k % 2 ? "'"$tmp"'/m1" : "'"$tmp"'/m2") }' "$tmp/log"
    s_load=$(times_of "$tmp/log" "$cload" | stats)
    s_design=$(times_of "$tmp/log" "$cdesign" | stats)
    s_mean=$(stats <"$tmp/m1")
    s_by=$(times_of "$tmp/log" "mean y by f5" | stats)
    s_tab=$(times_of "$tmp/log" "tab f5 by f4" | stats)
    s_rake=$(times_of "$tmp/log" "$rake" | stats)
    s_mean2=$(stats <"$tmp/m2")
    s_wall=$(stats <"$tmp/wall")
    rss=$(awk '{ print }' "$tmp/rss" | stats | awk '{ printf "%.0f", $2 }')
    # The sum of the median step times: load and the six commands.
    e2e=$(echo "$s_load $s_design $s_mean $s_by $s_tab $s_rake $s_mean2" |
        awk '{ printf "%.3f", $2 + $4 + $6 + $8 + $10 + $12 + $14 }')
    ours=$(grep -m1 '"command":"mean"' "$tmp/json" |
        sed 's/.*"estimate":\([^,]*\),"se":\([^,]*\),.*/\1 \2/')
    ours2=$(grep '"command":"mean"' "$tmp/json" | tail -n 1 |
        sed 's/.*"estimate":\([^,]*\),"se":\([^,]*\),.*/\1 \2/')
    # Snapshot: save once, then reload RUNS times.
    snap="$BENCH_DIR/driver_$n.wfb"
    "$WFSTAT" -e "load \"$csv\" as bench; save \"$snap\" replace" >/dev/null
    : >"$tmp/snaplog"
    i=0
    while [ $i -lt "$runs" ]; do
        /usr/bin/time -f '%M' -o "$tmp/t" "$WFSTAT" -e "set timing=on; load \"$snap\" as bench" \
            >/dev/null 2>>"$tmp/snaplog"
        i=$((i + 1))
    done
    s_snap=$(times_of "$tmp/snaplog" "load \"$snap\" as bench" | stats)
    pass=$("$BENCH_DIR/pass" "$n" 5 2>/dev/null)
    # R
    r_read=- r_design=- r_mean=- r_by=- r_tab=- r_rake=- r_mean2=- r_rss=- r_e2e=- agree=- agree2=- reader=-
    if [ $use_r = 1 ] && [ "$n" -le "${R_MAX_ROWS:-999999999}" ]; then
        if /usr/bin/time -f '%M' -o "$tmp/rt" Rscript "$here/survey.R" "$csv" "$margins" \
            >"$tmp/rout" 2>"$tmp/rerr"; then
            rv() { awk -v s="$1" '$1 == "time" && $2 == s { print $3 }' "$tmp/rout"; }
            reader=$(awk '$1 == "reader" { print $2 }' "$tmp/rout")
            r_read=$(rv read) r_design=$(rv design) r_mean=$(rv mean) r_by=$(rv by)
            r_tab=$(rv tab) r_rake=$(rv rake) r_mean2=$(rv mean_raked)
            r_rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$tmp/rt")
            r_e2e=$(awk '$1 == "time" { s += $3 } END { printf "%.2f", s }' "$tmp/rout")
            rel() { # largest relative difference of "est se" $1 from R's line $2
                grep "^$2 " "$tmp/rout" | awk -v o="$1" '{ split(o, w, " ")
                    a = w[1] - $2; b = w[2] - $3; a = (a < 0 ? -a : a) / $2; b = (b < 0 ? -b : b) / $3
                    printf "%.1e", (a > b ? a : b) }'
            }
            agree=$(rel "$ours" mean)
            agree2=$(rel "$ours2" raked)
            if ! awk -v a="$agree" 'BEGIN { exit !(a + 0 <= 1e-9) }'; then
                echo "driver.sh: mean y and its SE differ from R's by $agree at $n rows" >&2
                echo "FAIL $n $agree" >>"$summary"
            fi
        else
            echo "driver.sh: R failed at $n rows:" >&2
            cat "$tmp/rerr" >&2
        fi
    fi
    echo "$n $mb $s_load $s_design $s_mean $s_by $s_tab $s_rake $s_mean2 $s_wall $rss $e2e $s_snap $pass $reader $r_read $r_design $r_mean $r_by $r_tab $r_rake $r_mean2 $r_rss $r_e2e $agree $agree2 $runs" >>"$summary"
done

# Summary fields: 1 rows, 2 MB, 3-18 best/median of load, design, mean,
# by, tab, rake, mean (raked), process wall; 19 RSS, 20 load + 6 commands,
# 21-22 reload, 23-24 plain pass, 25 reader, 26-32 R steps, 33 R RSS,
# 34 R total, 35-36 agreement, 37 runs.
awk '
    $1 == "FAIL" { next }
    { row[++k] = $0 }
    function r(a, b, fmt) { return (b > 0 && a != "-") ? sprintf(fmt, a / b) : "-" }
    END {
        print "wfstat: best / median of the runs, seconds (`set timing=on`, monotonic wall clock);"
        print "\"load + 6\" is the sum of the median step times; the plain pass sums w y and w"
        print "per PSU over the same number of rows in memory (bench/pass.c)."
        print ""
        print "| rows | MB | runs | load | design | mean y | mean y by f5 | tab f5 by f4 | rake f5, f4 | mean y (raked) | load + 6 | peak RSS MB | reload .wfb | plain pass |"
        print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= k; i++) {
            split(row[i], f, " ")
            printf "| %d | %s | %s |", f[1], f[2], f[37]
            for (j = 3; j <= 15; j += 2) printf " %s / %s |", f[j], f[j + 1]
            printf " %s | %s | %s / %s | %s / %s |\n", f[20], f[19], f[21], f[22], f[23], f[24]
        }
        print ""
        print "R survey 4.1-1 on the same file, one run, seconds; R / wfstat is against the"
        print "wfstat median; agreement is the largest relative difference of the mean of y and"
        print "its SE from those of R (before and after raking)."
        print ""
        print "| rows | reader | read | svydesign | svymean | svyby | svychisq + svymean | rake | svymean (raked) | R total | R peak RSS MB | R / wfstat end to end | R / wfstat memory | mean | by | tab | rake | agreement | raked |"
        print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= k; i++) {
            split(row[i], f, " ")
            printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", f[1], f[25], f[26],
                f[27], f[28], f[29], f[30], f[31], f[32], f[34], f[33]
            printf " %s | %s | %s | %s | %s | %s | %s | %s |\n", r(f[34], f[20], "%.0f"),
                r(f[33], f[19], "%.1f"), r(f[28], f[8], "%.0f"), r(f[29], f[10], "%.0f"),
                r(f[30], f[12], "%.0f"), r(f[31], f[14], "%.0f"), f[35], f[36]
        }
    }' "$summary" >>"$out"
echo >>"$out"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$out"

if [ "$RESULTS" = - ]; then
    cat "$out"
else
    # Replace the section between the driver markers (or append one).
    begin='<!-- driver.sh: begin -->' end='<!-- driver.sh: end -->'
    if grep -q "$begin" "$RESULTS" 2>/dev/null; then
        awk -v b="$begin" -v e="$end" -v f="$out" '
            $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0 }
            !skip' "$RESULTS" >"$tmp/results"
        cat "$tmp/results" >"$RESULTS"
    else
        { echo; echo "$begin"; cat "$out"; echo "$end"; } >>"$RESULTS"
    fi
    cat "$out"
fi
! grep -q '^FAIL' "$summary"
