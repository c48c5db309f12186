#!/bin/sh
# bad_input.sh - every kind of bad input file gets one clear message on
# stderr naming the file (and, for malformed contents, the line and
# column), exit status 1, nothing on stdout, no sanitizer report, and an
# answer within a second (five under the sanitizers, which slow everything
# down). The inputs are generated into a temporary directory, some large
# enough that a slow error path would show.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bad_input.XXXXXX") || exit 99
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
limit_ms=1000
[ "${WFSTAT_SANITIZED:-0}" = 1 ] && limit_ms=5000
failures=0
count=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# try NAME PATH KIND [EXTRA LOAD OPTIONS]: load PATH; KIND is "parse" when
# the message must carry PATH:LINE:COLUMN, "io" when PATH alone.
try() {
    name=$1 path=$2 kind=$3
    shift 3
    count=$((count + 1))
    start=$(now_ms)
    timeout 5 "$WFSTAT" -e "load \"$path\" $*" >"$tmp/out" 2>"$tmp/err"
    status=$?
    elapsed=$(($(now_ms) - start))
    problem=""
    if [ "$status" = 124 ]; then
        problem="timed out after 5 s"
    elif [ "$status" != 1 ]; then
        problem="exit status $status, expected 1"
    elif [ -s "$tmp/out" ]; then
        problem="output on stdout"
    elif [ "$(wc -l <"$tmp/err")" != 1 ]; then
        problem="$(wc -l <"$tmp/err") lines on stderr, expected one"
    elif grep -q -e 'Sanitizer' -e 'runtime error' "$tmp/err"; then
        problem="a sanitizer report"
    elif [ "$kind" = parse ] && ! grep -q "^error: $path:[0-9][0-9]*:[0-9][0-9]*: [^ ]" "$tmp/err"; then
        problem="no $path:LINE:COLUMN in the message"
    elif [ "$kind" = io ] && ! grep -q "^error: $path: [^ ]" "$tmp/err"; then
        problem="the message does not start with the path"
    elif [ "$elapsed" -gt "$limit_ms" ]; then
        problem="took $elapsed ms, more than $limit_ms ms"
    fi
    if [ -n "$problem" ]; then
        echo "FAIL: $name: $problem"
        sed 's/^/  stderr: /' "$tmp/err" | head -5
        failures=$((failures + 1))
    else
        echo "ok: $name ($elapsed ms): $(cat "$tmp/err")"
    fi
}

d=$tmp
# Small malformed files, one per kind.
printf 'a,b\n1,"open\n2,3\n' >"$d/unclosed_quote.csv"
printf 'a,b\n1,x"y\n' >"$d/stray_quote.csv"
printf 'a,b\n1,"x"y\n' >"$d/text_after_quote.csv"
printf 'a,b,c\n1,2,3\n4,5\n' >"$d/short_row.csv"
printf 'a,b\n1,2\n3,4,5\n' >"$d/long_row.csv"
printf 'a,b\n1,2,\n' >"$d/trailing_delimiter.csv"
printf 'a,b\n1,caf\351\n' >"$d/latin1.csv"
printf 'a\n\300\257\n' >"$d/overlong_utf8.csv"
printf 'a\n\355\240\200\n' >"$d/surrogate_utf8.csv"
printf 'a,b\n1,\342\202\n' >"$d/truncated_utf8.csv"
printf 'a,b\377\n1,2\n' >"$d/bad_utf8_header.csv"
printf 'a,b\n1,x\000y\n' >"$d/nul_byte.csv"
: >"$d/empty.csv"
printf '\357\273\277' >"$d/bom_only.csv"
printf '\n\r\n\n' >"$d/blank_lines.csv"
printf 'a,b\n' >"$d/header_only.csv"
printf 'a,,c\n1,2,3\n' >"$d/empty_name.csv"
printf 'a,b,a\n1,2,3\n' >"$d/duplicate_name.csv"
printf 'a,b\n1,1e999\n' >"$d/huge_number.csv"
for f in unclosed_quote stray_quote text_after_quote short_row long_row trailing_delimiter \
    latin1 overlong_utf8 surrogate_utf8 truncated_utf8 bad_utf8_header nul_byte empty bom_only \
    blank_lines header_only empty_name duplicate_name huge_number; do
    try "$f" "$d/$f.csv" parse
done
printf 'a;b\n1;2\n3\n' >"$d/semicolon_short_row.csv"
try "semicolon_short_row" "$d/semicolon_short_row.csv" parse 'delim=";"'

# Large files (5 MB): an unbalanced quote near the start, and errors at
# the very end after many good rows.
awk 'BEGIN { print "id,x,y"; for (i = 1; i <= 400000; i++) printf "%d,%d.5,abc\n", i, i % 97 }' \
    >"$d/rows.txt"
{ head -n 2 "$d/rows.txt"; printf '"'; tail -n +3 "$d/rows.txt"; } >"$d/big_unclosed_quote.csv"
{ cat "$d/rows.txt"; printf '1,2\n'; } >"$d/big_short_row_at_end.csv"
{ cat "$d/rows.txt"; printf '1,2,\377\n'; } >"$d/big_bad_utf8_at_end.csv"
{ cat "$d/rows.txt"; printf '1,2,x"y\n'; } >"$d/big_stray_quote_at_end.csv"
for f in big_unclosed_quote big_short_row_at_end big_bad_utf8_at_end big_stray_quote_at_end; do
    try "$f" "$d/$f.csv" parse
done
# One enormous header line and no data; very many columns and a short row.
awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "column_number_%d,", i; print "last" }' \
    >"$d/wide_header_only.csv"
try wide_header_only "$d/wide_header_only.csv" parse
{ cat "$d/wide_header_only.csv"; printf '1,2,3\n'; } >"$d/wide_short_row.csv"
try wide_short_row "$d/wide_short_row.csv" parse

# Binary files: random bytes, small and large, and real formats.
head -c 4096 /dev/urandom >"$d/random_small.bin"
head -c 3000000 /dev/urandom >"$d/random_large.bin"
try random_small "$d/random_small.bin" parse
try random_large "$d/random_large.bin" parse
cp "$WFSTAT" "$d/executable"
try executable "$d/executable" parse
if command -v gzip >/dev/null 2>&1; then
    gzip -c "$d/rows.txt" >"$d/rows.csv.gz"
    try gzip "$d/rows.csv.gz" parse
fi

# Binary snapshots (.wfb): truncated, damaged, of another format version,
# or not a snapshot at all.
printf 'a,b\n1,x\n2,y\n3,x\n' >"$d/snap.csv"
if "$WFSTAT" -e "load \"$d/snap.csv\"; save \"$d/good.wfb\"" >/dev/null 2>&1; then
    size=$(wc -c <"$d/good.wfb")
    head -c $((size - 1)) "$d/good.wfb" >"$d/truncated.wfb"
    try snapshot_truncated "$d/truncated.wfb" io
    head -c 40 "$d/good.wfb" >"$d/header_only.wfb"
    try snapshot_header_cut "$d/header_only.wfb" io
    # One byte changed in the header's row count, the version, the data.
    for at in 16 8 $((size - 60)); do
        cp "$d/good.wfb" "$d/damaged$at.wfb"
        printf '\377' | dd of="$d/damaged$at.wfb" bs=1 seek="$at" conv=notrunc 2>/dev/null
        try "snapshot_damaged_at_$at" "$d/damaged$at.wfb" io
    done
else
    echo "FAIL: could not write a snapshot"
    failures=$((failures + 1))
fi
head -c 4096 /dev/urandom >"$d/random.wfb"
try snapshot_random "$d/random.wfb" io
: >"$d/empty.wfb"
try snapshot_empty "$d/empty.wfb" io
try snapshot_missing "$d/no-such-file.wfb" io

# Paths that cannot be read as a file.
try missing_file "$d/no-such-file.csv" io
try not_a_directory "$d/empty.csv/x.csv" io
try directory "$d" io
mkfifo "$d/fifo" && try named_pipe "$d/fifo" io
try device /dev/zero io
if [ "$(id -u)" != 0 ]; then
    printf 'a\n1\n' >"$d/unreadable.csv"
    chmod 000 "$d/unreadable.csv"
    try unreadable "$d/unreadable.csv" io
    mkdir "$d/locked" && printf 'a\n1\n' >"$d/locked/x.csv" && chmod 000 "$d/locked"
    try locked_directory "$d/locked/x.csv" io
fi

echo "$count inputs, $failures failure(s)"
[ "$failures" = 0 ]
