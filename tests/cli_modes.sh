#!/bin/sh
# cli_modes.sh - how wfstat is run: options, -e, pipes, exit status, and
# JSON Lines on stdout with errors only on stderr.
set -u
data="$top_srcdir/tests/data"
check="$top_builddir/tests/jsonl_check"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli_modes.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0

# run CMD...: run with stdin from $tmp/in (empty unless written), keeping
# stdout, stderr and the exit status.
: >"$tmp/in"
run() {
    "$@" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
    status=$?
}

fail() {
    echo "FAIL: $1"
    echo "--- stdout:"
    cat "$tmp/out"
    echo "--- stderr:"
    cat "$tmp/err"
    failures=$((failures + 1))
}

expect_status() { [ "$status" = "$1" ] || fail "$2: exit status $status, expected $1"; }
expect_out() { grep -q -- "$1" "$tmp/out" || fail "$2: stdout lacks '$1'"; }
expect_err() { grep -q -- "$1" "$tmp/err" || fail "$2: stderr lacks '$1'"; }
expect_no_err() { [ ! -s "$tmp/err" ] || fail "$1: unexpected stderr"; }
expect_no_out() { [ ! -s "$tmp/out" ] || fail "$1: unexpected stdout"; }

# Options.
run "$WFSTAT" --version
expect_status 0 --version
expect_out '^wfstat [0-9][0-9.]*$' --version
expect_no_err --version

run "$WFSTAT" --help
expect_status 0 --help
expect_out '^Usage: wfstat' --help
expect_out 'Exit status: 0' --help
expect_no_err --help

run "$WFSTAT" --frobnicate
expect_status 2 "an unknown option"
expect_err "Try 'wfstat --help'" "an unknown option"
expect_no_out "an unknown option"

run "$WFSTAT" -f yaml -e 'help'
expect_status 2 "an unknown format"
expect_err 'unknown format "yaml"' "an unknown format"
expect_no_out "an unknown format"

run "$WFSTAT" "$tmp/no-such-script.wfs"
expect_status 2 "a missing script"
expect_err "cannot read script $tmp/no-such-script.wfs" "a missing script"

# -e: commands separated by ';'; errors without a file and line.
run "$WFSTAT" -e "load \"$data/staff.csv\" as staff; describe fte"
expect_status 0 "-e"
expect_out '^fte  *numeric' "-e"
expect_no_err "-e"

run "$WFSTAT" -e "load \"$data/staff.csv\" as staff; describe nosuch; describe fte"
expect_status 1 "-e with an error"
expect_err '^error: unknown variable "nosuch" in staff' "-e with an error"
expect_out '^fte  *numeric' "-e goes on after an error"

# Several -e, then scripts, in order; quit stops everything after it.
printf 'describe role\n' >"$tmp/s.wfs"
run "$WFSTAT" -e "load \"$data/staff.csv\" as staff" -e 'describe fte' "$tmp/s.wfs"
expect_status 0 "-e then a script"
[ "$(grep -c '^name  type' "$tmp/out")" = 2 ] || fail "-e then a script: two describes expected"
expect_out '^role  *categorical' "-e then a script"

run "$WFSTAT" -e 'quit' "$tmp/s.wfs"
expect_status 0 "quit in -e"
expect_no_out "quit in -e"

# A script's errors name the script and line.
printf 'load "%s" as staff\n\n  describe nosuch\n' "$data/staff.csv" >"$tmp/e.wfs"
run "$WFSTAT" "$tmp/e.wfs"
expect_status 1 "a script with an error"
expect_err "^$tmp/e.wfs:3: error: unknown variable \"nosuch\"" "a script with an error"

# Commands from a pipe, named <stdin> in messages.
printf 'load "%s" as staff\ndescribe nosuch\ndescribe caseload\n' "$data/staff.csv" >"$tmp/in"
run "$WFSTAT"
expect_status 1 "a pipe"
expect_err '^<stdin>:2: error: unknown variable "nosuch"' "a pipe"
expect_out '^caseload  *numeric' "a pipe"
run "$WFSTAT" --batch
expect_status 1 "--batch reads the pipe"
expect_err '^<stdin>:2: error' "--batch reads the pipe"
: >"$tmp/in"

# An empty script succeeds and says nothing.
: >"$tmp/empty.wfs"
run "$WFSTAT" "$tmp/empty.wfs"
expect_status 0 "an empty script"
expect_no_out "an empty script"
expect_no_err "an empty script"

# A binary script: one clear error, exit 1.
printf 'help\n\000\001\002\n' >"$tmp/bin.wfs"
run "$WFSTAT" "$tmp/bin.wfs"
expect_status 1 "a binary script"
expect_err "^$tmp/bin.wfs:2: error: NUL byte in the script" "a binary script"

# JSON Lines: every line of stdout is one object; describe objects carry
# each variable's name, type, levels and missing count; errors stay on
# stderr. Every data file in tests/data is described.
cmds=""
nfiles=0
for f in "$data"/*.csv "$data"/*.tsv; do
    nfiles=$((nfiles + 1))
    case "$f" in *.tsv) d=' delim=tab' ;; *semicolon*) d=' delim=";"' ;; *) d="" ;; esac
    cmds="$cmds load \"$f\"$d; describe; list n=3;"
done
run "$WFSTAT" --format=json -e "$cmds describe nosuch; help load; set"
expect_status 1 "JSON Lines"
"$check" --describe <"$tmp/out" || fail "JSON Lines: stdout is not valid wfstat JSON Lines"
[ "$(grep -c '"command":"describe"' "$tmp/out")" = "$nfiles" ] ||
    fail "JSON Lines: one describe object per data file expected"
expect_out '"name":"role","type":"categorical","n":12,"missing":0,"levels":\["Occupational therapist","Social work assistant","Social worker","Team manager"\]' "JSON Lines"
expect_out '"name":"caseload","type":"numeric","n":10,"missing":2,"levels":null' "JSON Lines"
expect_err '^error: unknown variable "nosuch"' "JSON Lines"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "JSON Lines: one error line expected"

# The checker itself rejects what is not JSON Lines.
printf '{"command":"x","notes":[]}\nnot json\n' | "$check" 2>/dev/null && fail "jsonl_check accepted a bad line"
printf '{"command":"describe","notes":[],"dataset":"d","rows":2,"columns":1,"variables":[{"name":"a","type":"numeric","n":1,"missing":0,"levels":null}]}\n' |
    "$check" --describe 2>/dev/null && fail "jsonl_check accepted counts that do not add up"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
exit 0
