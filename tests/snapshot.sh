#!/bin/sh
# snapshot.sh - a dataset saved as a .wfb snapshot loads back to the same
# data: every estimator gives byte-identical JSON from the snapshot and from
# the CSV, `list` shows the same rows, and save refuses to overwrite without
# replace.
set -u
: "${WFSTAT:=./cli/wfstat}"
: "${top_srcdir:=.}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/snapshot.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
csv="$top_srcdir/tests/cli/data/est.csv"
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

"$WFSTAT" -e "load \"$csv\" as staff; save \"$tmp/est.wfb\"" >/dev/null 2>"$tmp/err" ||
    fail "save: $(cat "$tmp/err")"
# A second save must not overwrite; with replace it does.
if "$WFSTAT" -e "load \"$csv\" as staff; save \"$tmp/est.wfb\"" >/dev/null 2>"$tmp/err"; then
    fail "save overwrote an existing snapshot without replace"
fi
grep -q "add replace" "$tmp/err" || fail "no 'add replace' in: $(cat "$tmp/err")"
"$WFSTAT" -e "load \"$csv\" as staff; save \"$tmp/est.wfb\" replace" >/dev/null 2>&1 ||
    fail "save replace"

steps='design weight=w strata=region cluster=council
list
mean y
mean y x by region deff
total y by role
mean y if x >= 2 and role != "Assistant"
prop need by band ci=beta
ratio y / x by region
quantile y p=0.1,0.5,0.9 qrule=school by region
tab role by need
rake region=North:100,South:120
mean y by role'
for src in "$csv" "$tmp/est.wfb"; do
    { echo "load \"$src\" as staff"; echo "$steps"; } >"$tmp/script.wfs"
    "$WFSTAT" --format=json "$tmp/script.wfs" 2>&1 | sed 1d >"$tmp/$(basename "$src").out"
done
if ! cmp -s "$tmp/est.csv.out" "$tmp/est.wfb.out"; then
    fail "results differ between the CSV and its snapshot"
    diff "$tmp/est.csv.out" "$tmp/est.wfb.out" | head -20
fi
[ "$(wc -l <"$tmp/est.csv.out")" -gt 10 ] || fail "too little output: $(head -3 "$tmp/est.csv.out")"
# A snapshot of a dataset that is not loaded is an error.
"$WFSTAT" -e "save \"$tmp/none.wfb\"" >/dev/null 2>&1 && fail "save .wfb without data succeeded"
[ -e "$tmp/none.wfb" ] && fail "save .wfb without data left a file"
[ "$failures" = 0 ] && echo "snapshot: ok"
[ "$failures" = 0 ]
