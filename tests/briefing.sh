#!/bin/sh
# briefing.sh - the demo briefing runs cleanly and states the published
# figures its datasets are calibrated to.
#
# Runs datasets/briefing.wfs as ./quickstart does (text, then Markdown) and
# checks that every command succeeded (exit status 0, nothing on stderr),
# that each headline sentence carries the published percentage, and that
# the projection section draws its fan chart.
set -u
w="$WFSTAT"
brief="$top_srcdir/datasets/briefing.wfs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/briefing.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
status=0
fail() {
    echo "FAIL: $*"
    status=1
}
for fmt in text markdown; do
    if ! LC_ALL=C.UTF-8 "$w" --format=$fmt "$brief" >"$tmp/$fmt" 2>"$tmp/$fmt.err"; then
        fail "the briefing ($fmt) exited with status $?"
    fi
    if [ -s "$tmp/$fmt.err" ]; then
        fail "the briefing ($fmt) wrote to stderr:"
        cat "$tmp/$fmt.err"
    fi
done
# Published figures (datasets/README.md): the sentences round to whole
# percentages, and the generator calibrates the weighted estimates to them.
check() {
    grep -F -q -- "$1" "$tmp/text" || fail "no sentence with \"$1\""
}
check "46% (95% CI"
check "of council adult social care staff said their training needs for personalisation had not been met."
check "56% (95% CI"
check "58% (95% CI"
check "25% (95% CI"
check "20% (95% CI"
check "Unweighted, the figure would be 41%"
check "from 74 to 48 full-time-equivalent social work posts and from 36 to 65"
grep -q '^# Adult social work in England' "$tmp/markdown" || fail "the Markdown briefing has no title"
grep -q '^## 5\. Ten years ahead' "$tmp/markdown" || fail "the Markdown briefing has no projection section"
grep -q '10th to 90th percentile of 1000 simulations' "$tmp/text" || fail "the projection has no simulated range"
grep -q '● projection' "$tmp/text" || fail "no fan chart in the briefing"
[ "$status" = 0 ] && echo "ok: the briefing runs cleanly in text and Markdown with the published figures"
exit $status
