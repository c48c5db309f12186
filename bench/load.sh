#!/bin/sh
# load.sh - how fast wfstat loads a CSV and how much memory it takes.
#
# Generates a synthetic survey file once (bench/gen: 1e6 rows x 7 columns,
# about 34 MB, in bench/data/ of the build tree), then times
#   cat FILE > /dev/null    the cost of reading the bytes
#   wc -l FILE              a plain pass over them
#   wfstat -e 'load "FILE"' parsing, type inference and the columns
# with hyperfine when installed, otherwise with repeated timed runs, from a
# warm page cache. Reports MB/s (1 MB = 1e6 bytes), the ratio to
# the plain passes, and the peak resident memory of the load (GNU time -v)
# against the raw column bytes (rows x 7 x 8). Exits 1 when the load misses
# the bar of issue 2: under 1 s per million rows, and peak memory under 3x
# the column bytes.
#
# Environment: WFSTAT and GEN (the programs), top_builddir, BENCH_ROWS
# (default 1000000), BENCH_RUNS (default 10), BENCH_NO_HYPERFINE (set to
# time with /usr/bin/time even when hyperfine is installed).
set -eu
rows=${BENCH_ROWS:-1000000}
runs=${BENCH_RUNS:-10}
builddir=${top_builddir:-.}
WFSTAT=${WFSTAT:-$builddir/cli/wfstat}
GEN=${GEN:-$builddir/bench/gen}
datadir="$builddir/bench/data"
file="$datadir/survey-$rows.csv"
ncols=7

mkdir -p "$datadir"
if [ ! -s "$file" ]; then
    echo "generating $file"
    "$GEN" -n "$rows" -o "$file.tmp"
    mv "$file.tmp" "$file"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bytes=$(wc -c <"$file")
colbytes=$((rows * ncols * 8))
load="$WFSTAT -e 'load \"$file\"'"
# The load must work before it is timed.
sh -c "$load" >"$tmp/load.out"
grep -q "rows: *$rows\$" "$tmp/load.out" || { echo "load failed"; cat "$tmp/load.out"; exit 1; }
cat "$file" >/dev/null # warm the page cache

# Median seconds of each command, one per line: cat, wc, wfstat.
if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
    tool="hyperfine $(hyperfine --version | cut -d' ' -f2), $runs runs after 2 warm-ups"
    # No shell in between (-N): its start-up would swamp the plain passes.
    hyperfine -N --style none --warmup 2 --runs "$runs" --export-csv "$tmp/h.csv" \
        "cat '$file'" "wc -l '$file'" "$load" >/dev/null
    # command,mean,stddev,median,user,system,min,max
    awk -F, 'NR > 1 { print $4 }' "$tmp/h.csv" >"$tmp/median"
    awk -F, 'NR > 1 { print $2, $3, $7, $8 }' "$tmp/h.csv" >"$tmp/spread"
else
    tool="date +%s%N around sh -c (includes a shell start-up), $runs runs after 2 warm-ups"
    : >"$tmp/median"
    : >"$tmp/spread"
    for cmd in "cat '$file' >/dev/null" "wc -l '$file' >/dev/null" "$load >/dev/null"; do
        for i in 1 2; do sh -c "$cmd"; done
        : >"$tmp/t"
        i=0
        while [ $i -lt "$runs" ]; do
            t0=$(date +%s%N)
            sh -c "$cmd"
            t1=$(date +%s%N)
            echo "$t0 $t1" | awk '{ printf "%.6f\n", ($2 - $1) / 1e9 }' >>"$tmp/t"
            i=$((i + 1))
        done
        sort -n "$tmp/t" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' >>"$tmp/median"
        sort -n "$tmp/t" | awk '{ s += $1; a[NR] = $1 } END { print s / NR, 0, a[1], a[NR] }' >>"$tmp/spread"
    done
fi

# Peak resident memory: the median of three loads, and wfstat alone.
rss() {
    for i in 1 2 3; do
        /usr/bin/time -v sh -c "exec $1" 2>&1 >/dev/null | awk -F: '/Maximum resident/ { print $2 + 0 }'
    done | sort -n | sed -n 2p
}
rss_load=$(rss "$load")
rss_idle=$(rss "$WFSTAT -e 'set'")

awk -v bytes="$bytes" -v rows="$rows" -v ncols="$ncols" -v colbytes="$colbytes" \
    -v rss_load="$rss_load" -v rss_idle="$rss_idle" -v tool="$tool" -v file="$file" '
    FILENAME ~ /median$/ { t[++n] = $1; next }
    { mean[++m] = $1; sd[m] = $2; lo[m] = $3; hi[m] = $4 }
    END {
        mb = bytes / 1e6
        printf "CSV load: %d rows x %d columns, %.1f MB (%s)\n", rows, ncols, mb, file
        printf "timing: %s; page cache warm\n\n", tool
        printf "  %-28s %9s %9s %9s %9s\n", "command", "median s", "min s", "max s", "MB/s"
        split("cat FILE >/dev/null|wc -l FILE|wfstat -e '\''load \"FILE\"'\''", name, "|")
        for (i = 1; i <= 3; i++)
            printf "  %-28s %9.4f %9.4f %9.4f %9.0f\n", name[i], t[i], lo[i], hi[i], mb / t[i]
        printf "\n  load / cat: %.1fx   load / wc -l: %.1fx\n", t[3] / t[1], t[3] / t[2]
        printf "  peak RSS of the load: %.1f MB = %.2fx the column bytes (%d x %d x 8 = %.1f MB)\n",
            rss_load * 1024 / 1e6, rss_load * 1024 / colbytes, rows, ncols, colbytes / 1e6
        printf "  peak RSS of wfstat without a load: %.1f MB\n\n", rss_idle * 1024 / 1e6
        ok_t = t[3] < rows / 1e6
        ok_m = rss_load * 1024 < 3 * colbytes
        printf "  bar of issue 2: load under 1 s per million rows: %s;", ok_t ? "met" : "MISSED"
        printf " peak memory under 3x column bytes: %s\n", ok_m ? "met" : "MISSED"
        exit !(ok_t && ok_m)
    }' "$tmp/median" "$tmp/spread"
