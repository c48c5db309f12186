#!/bin/sh
# timing.sh - `set timing=on` reports each command's wall time on stderr
# and leaves stdout alone (JSON Lines stay clean).
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/timing.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
"$WFSTAT" --format=json -e "set timing=on; load \"$top_srcdir/tests/cli/data/est.csv\" as est; \
design weight=w strata=region cluster=council; mean y; set timing=off; mean x" \
    >"$tmp/out" 2>"$tmp/err" || { echo "wfstat failed"; cat "$tmp/err"; exit 1; }
status=0
# One line per command while timing is on, with the command text.
for c in 'set timing=on' 'load ' 'design weight=w' 'mean y'; do
    grep -q "^time: [0-9][0-9]*\.[0-9][0-9][0-9][0-9] s  $c" "$tmp/err" ||
        { echo "no timing line for: $c"; status=1; }
done
if grep -q 'mean x' "$tmp/err"; then echo "timing printed after timing=off"; status=1; fi
# stdout: one JSON object per result, nothing else.
if grep -v '^{' "$tmp/out" | grep -q .; then echo "stdout has non-JSON lines"; status=1; fi
[ "$(grep -c '"command":"mean"' "$tmp/out")" = 2 ] || { echo "expected two mean results"; status=1; }
[ $status = 0 ] || { echo "stderr was:"; cat "$tmp/err"; }
exit $status
