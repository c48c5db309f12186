#!/bin/sh
# hostile.sh - huge and hostile inputs: each gets a correct answer or one
# clear error, with exit status 0 or 1, in bounded time and memory, and no
# sanitizer report. The inputs are generated here, in a temporary directory;
# the largest (a 100 MB field, 10 million rows, a 1.1 GB line) take a few
# seconds each.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 99
sanitized=${WFSTAT_SANITIZED:-0}
failures=0
count=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# check NAME STATUS LIMIT_S PATTERN [wfstat arguments]: run wfstat; it must
# exit with STATUS within LIMIT_S seconds (four times that under the
# sanitizers) and, when STATUS is 1, print exactly one error line matching
# PATTERN on stderr; when STATUS is 0, stdout must match PATTERN.
check() {
    name=$1 want=$2 limit=$3 pattern=$4
    shift 4
    [ "$sanitized" = 1 ] && limit=$((limit * 4))
    count=$((count + 1))
    start=$(now_ms)
    timeout "$limit" "$WFSTAT" "$@" >out 2>err
    status=$?
    elapsed=$(($(now_ms) - start))
    problem=""
    if [ "$status" = 124 ]; then
        problem="timed out after $limit s"
    elif [ "$status" != "$want" ]; then
        problem="exit status $status, expected $want"
    elif grep -q -e 'Sanitizer' -e 'runtime error' err; then
        problem="a sanitizer report"
    elif [ "$want" = 1 ] && [ "$(grep -c 'error:' err)" != 1 ]; then
        problem="$(grep -c 'error:' err) error lines, expected one"
    elif [ "$want" = 1 ] && ! grep -q -e "$pattern" err; then
        problem="the message does not match '$pattern'"
    elif [ "$want" = 0 ] && ! grep -q -e "$pattern" out; then
        problem="the output does not match '$pattern'"
    fi
    if [ -n "$problem" ]; then
        echo "FAIL: $name: $problem"
        head -c 600 err | sed 's/^/  stderr: /'
        head -c 600 out | sed 's/^/  stdout: /'
        failures=$((failures + 1))
    else
        echo "ok: $name ($elapsed ms): $(head -c 160 err | head -n 1)"
    fi
}

# ---- huge files that must load
# One field of 100 MB (a text value) between two numeric columns.
{
    printf 'a,b,c\n1,'
    head -c 100000000 /dev/zero | tr '\0' 'x'
    printf ',2\n3,y,4.5\n'
} >bigfield.csv
check "100 MB field" 0 20 '"estimate":3.25,' --format=json -e \
    'load "bigfield.csv"; design srs; mean c'

# 100,000 columns.
awk 'BEGIN { for (i = 1; i < 100000; i++) printf "c%d,", i; print "c100000";
             for (r = 0; r < 2; r++) { for (i = 1; i < 100000; i++) printf "%d,", i % 10; print 7 + r } }' >wide.csv
check "100,000 columns" 0 10 '"estimate":7.5,' --format=json -e \
    'load "wide.csv"; design srs; mean c100000'

# 10 million tiny rows: the mean of 0,1,0,1,... is exactly 0.5.
{
    echo a
    yes '0
1' | head -n 10000000
} >tall.csv
check "10 million rows" 0 30 '"estimate":0.5,.*"n":10000000' --format=json -e \
    'load "tall.csv"; design srs; mean a'

# ---- huge or binary files that must fail early
# 1.2 GB of NUL bytes after a header (sparse: no disk space used).
printf 'a,b\n' >sparse.csv
truncate -s 1200M sparse.csv
check "1.2 GB sparse file of NUL bytes" 1 5 'sparse.csv:2:1: NUL byte' -e 'load "sparse.csv"'
# A line of 1.1 GB: 300 MB of text then a sparse tail. The field limit
# stops the load long before the tail.
{
    printf 'a,b\n1,'
    head -c 300000000 /dev/zero | tr '\0' 'x'
} >longline.csv
truncate -s 1100M longline.csv
check "1.1 GB line" 1 20 'longline.csv:2:2: a field longer than 256 MB' -e 'load "longline.csv"'
rm -f bigfield.csv tall.csv sparse.csv longline.csv wide.csv

# A header of 2 million fields (a line of 17 MB; a 1 GB line of short
# fields would be 100 million columns) stops at the column limit.
awk 'BEGIN { for (i = 1; i < 2000000; i++) printf "c%d,", i; print "last"; print "1" }' >manycols.csv
check "2 million columns" 1 5 'manycols.csv:1:1000001: more than 1000000 columns' -e 'load "manycols.csv"'
rm -f manycols.csv

# ---- numbers: read exactly, refused, or read as text; never a wrong number
printf 'x,w\n1e999,1\n2,1\n' >huge.csv
check "1e999" 1 5 'huge.csv:2:1: the number "1e999" in column "x" is too large' -e 'load "huge.csv"'
printf 'x,w\n-1e999,1\n2,1\n' >mhuge.csv
check "-1e999" 1 5 'mhuge.csv:2:1: the number "-1e999" in column "x" is too large' \
    -e 'load "mhuge.csv"'
printf 'x,w\n-0,1\n0,1\n2,2\n' >negzero.csv
check "-0 is zero" 0 5 '"estimate":1,' --format=json -e 'load "negzero.csv"; design weight=w; mean x'
# nan, inf, hexadecimal floats and thousands separators are text, not numbers:
# the column becomes categorical and an estimate on it is refused or is a
# proportion per level, never a plausible number.
for v in nan NaN inf -inf Infinity 0x1p3 0x10 '"1,000"' '1_000'; do
    printf 'x,w\n%s,1\n2,1\n' "$v" >text.csv
    check "$v is text" 0 5 '"name":"x","type":"categorical"' --format=json -e \
        'load "text.csv"; describe x'
done
printf 'x,w\n1.5,1\n"1,000",1\n' >thousands.csv
check "thousands separator: a ratio is refused" 1 5 'ratio needs numeric variables; "x" is categorical' -e \
    'load "thousands.csv"; design weight=w; ratio x / w'

# Finite numbers whose weighted sums overflow: refused, never printed as NA.
printf 'y,w\n1,1e308\n2,1e308\n3,1\n' >bigweights.csv
check "weights summing past 1e308" 1 5 'the weights sum to more than 1e308' -e \
    'load "bigweights.csv"; design weight=w'
printf 'y,w\n1e300,1e10\n2e300,1e10\n3,1\n' >bigvalues.csv
for c in 'mean y' 'total y' 'ratio y / w' 'mean y by w'; do
    check "$c overflowing" 1 5 'beyond what a double holds (above 1e308): rescale' -e \
        "load \"bigvalues.csv\"; design weight=w; $c"
done
check "margins summing past 1e308" 1 5 'the new weights do not sum to a finite number' -e \
    'load "negzero.csv"; design weight=w; poststratify x=0:1e308,2:1e308'

# An identifier taken for a categorical: 20,000 levels are refused at once
# (they took 7 GB and more than 30 s).
awk 'BEGIN { print "id,w"; for (i = 0; i < 20000; i++) printf "p%d,1\n", i }' >ids.csv
check "prop of an identifier" 1 5 '"id" has 20000 different values; proportions and counts by level take at most 500' \
    -e 'load "ids.csv"; design weight=w; prop id'

# ---- the command language
awk 'BEGIN { printf "load \"negzero.csv\"; design weight=w; mean x if ";
             for (i = 0; i < 10000; i++) printf "("; printf "x > 0";
             for (i = 0; i < 10000; i++) printf ")"; print "" }' >nested.wfs
check "10,000 nested parentheses" 1 5 'nested more than 200 levels' nested.wfs
awk 'BEGIN { printf "load \"negzero.csv\"; design weight=w; mean x if not ";
             for (i = 0; i < 10000; i++) printf "not "; print "x > 0" }' >nots.wfs
check "10,000 nested nots" 1 5 'nested more than 200 levels' nots.wfs
id=$(head -c 102400 /dev/zero | tr '\0' 'v')
check "100 KB variable name" 1 5 '\.\.\.(102400 bytes)" is not in the data' -e "load \"negzero.csv\"; design weight=w; mean $id"
check "100 KB name in if" 1 5 'unknown variable "v*\.\.\.(102400 bytes)"' \
    -e "load \"negzero.csv\"; design weight=w; mean x if $id > 1"
check "100 KB dataset name" 0 5 'rows' -e "load \"negzero.csv\" as $id; describe"
check "100 KB command name" 1 5 'unknown command' -e "$id"
check "100 KB option key" 1 5 'mean has no option v*\.\.\.(10240[01] bytes)' -e "load \"negzero.csv\"; design weight=w; mean x $id=1"
printf 'run "self.wfs"\n' >self.wfs
check "a script that runs itself" 1 5 'nested more than 16 deep' self.wfs
printf 'run "b.wfs"\n' >a.wfs
printf 'run "a.wfs"\n' >b.wfs
check "two scripts that run each other" 1 5 'nested more than 16 deep' a.wfs

# ---- one PSU in every stratum: R gives an SE of NaN under lonely=average
# and fails under fail; wfstat refuses both with a message (the other
# policies are checked against R in tests/reference/edge_onepsu_*).
one="${top_srcdir:-.}/tests/reference/data/edge_onepsu.csv"
check "one PSU per stratum, lonely=average" 1 5 'lonely=average needs at least one stratum with two or more PSUs' \
    -e "load \"$one\" as one; design weight=w strata=s cluster=psu lonely=average; mean y"
check "one PSU per stratum, lonely=fail" 1 5 'some strata have only one PSU (stratum h1, stratum h2' \
    -e "load \"$one\" as one; design weight=w strata=s cluster=psu"

# ---- files that are not files
mkdir adir
check "load a directory" 1 5 'adir: not a regular file (a directory)' -e 'load "adir"'
mkfifo fifo
check "load a FIFO" 1 5 'fifo: not a regular file (a pipe)' -e 'load "fifo"'
check "run a FIFO" 1 5 'not a regular file' -e 'run "fifo"'
check "run a directory" 1 5 'not a regular file' -e 'run "adir"'

# ---- a full disk: no partial file, no temporary file left behind, an
# existing file unchanged. /dev/full fails every write with ENOSPC; a file
# size limit (ulimit -f, with SIGXFSZ ignored) makes writes to a regular
# file fail part way, as a full disk does.
awk 'BEGIN { print "id,x,w"; for (i = 1; i <= 20000; i++) printf "%d,%d.25,1\n", i, i % 13 }' >rows.csv
check "export to /dev/full" 1 5 'cannot write /dev/full: No space left on device' \
    -e 'load "rows.csv"; export "/dev/full"'
check "save to /dev/full" 1 5 'cannot write /dev/full: No space left on device' \
    -e 'load "rows.csv"; design weight=w; mean x; save "/dev/full" format=csv'
[ -c /dev/full ] || {
    echo "FAIL: /dev/full is no longer a device"
    failures=$((failures + 1))
}
mkdir outdir
echo "earlier contents" >outdir/keep.csv
for target in new.csv keep.csv; do
    (
        trap '' XFSZ
        ulimit -f 64
        exec "$WFSTAT" -e "load \"rows.csv\"; export \"outdir/$target\" replace"
    ) >/dev/null 2>err
    status=$?
    count=$((count + 1))
    left=$(ls -A outdir | tr '\n' ' ')
    if [ "$status" != 1 ] || ! grep -q "cannot write outdir/$target: File too large" err ||
        [ "$left" != "keep.csv " ] || [ "$(cat outdir/keep.csv)" != "earlier contents" ]; then
        echo "FAIL: export $target on a full disk: status $status, files: $left"
        sed 's/^/  stderr: /' err
        failures=$((failures + 1))
    else
        echo "ok: export $target on a full disk: $(cat err)"
    fi
done
(
    trap '' XFSZ
    ulimit -f 0
    exec "$WFSTAT" -e 'load "rows.csv"; design weight=w; mean x; save "outdir/r.json"'
) >/dev/null 2>err
status=$?
count=$((count + 1))
if [ "$status" != 1 ] || [ "$(ls -A outdir | tr '\n' ' ')" != "keep.csv " ]; then
    echo "FAIL: save on a full disk: status $status, files: $(ls -A outdir)"
    failures=$((failures + 1))
else
    echo "ok: save on a full disk: $(cat err)"
fi

# A real full disk, when a 64 KB tmpfs can be mounted (as root).
mkdir tiny
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs tiny 2>/dev/null; then
    trap 'umount "$tmp/tiny" 2>/dev/null; rm -rf "$tmp"' EXIT
    echo "earlier contents" >tiny/keep.csv
    check "export to a full tmpfs" 1 5 'cannot write tiny/new.csv: No space left on device' \
        -e 'load "rows.csv"; export "tiny/new.csv"'
    check "export replacing a file on a full tmpfs" 1 5 \
        'cannot write tiny/keep.csv: No space left on device' \
        -e 'load "rows.csv"; export "tiny/keep.csv" replace'
    count=$((count + 1))
    if [ "$(ls -A tiny | tr '\n' ' ')" != "keep.csv " ] ||
        [ "$(cat tiny/keep.csv)" != "earlier contents" ]; then
        echo "FAIL: a full tmpfs: files left: $(ls -A tiny)"
        failures=$((failures + 1))
    else
        echo "ok: a full tmpfs keeps the earlier file and no partial one"
    fi
    umount tiny
fi

# ---- memory: a load that would not fit is refused with a message, not
# killed. The sanitizers reserve terabytes of address space, so the address
# space limit is tested in the ordinary build only.
if [ "$sanitized" != 1 ]; then
    awk 'BEGIN { print "a,b,c,d"; for (i = 0; i < 2000000; i++) printf "%d,%d.5,%d,%d\n", i, i, i % 7, i % 3 }' >mid.csv
    count=$((count + 1))
    (
        ulimit -v 60000
        exec "$WFSTAT" -e 'load "mid.csv"'
    ) >/dev/null 2>err
    status=$?
    # The limit (70% of what is available) or, when the parser's own
    # buffers reach the address-space limit first, a failed allocation.
    if [ "$status" != 1 ] || ! grep -q -e 'mid.csv:[0-9]*:1: loading stopped: the columns would need more than the [0-9]* MB of memory available' -e 'mid.csv:[0-9]*:1: out of memory after [0-9]* rows' err; then
        echo "FAIL: a load above the memory limit: status $status"
        sed 's/^/  stderr: /' err
        failures=$((failures + 1))
    else
        echo "ok: a load above the memory limit: $(cat err)"
    fi
fi

echo "$count hostile inputs, $failures failure(s)"
[ "$failures" = 0 ]
