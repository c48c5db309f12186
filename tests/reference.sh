#!/bin/sh
# reference.sh - check wfstat against values computed by R's survey package.
#
# Each tests/reference/NAME.wfs is run with --format=json from its
# directory, and its JSON Lines are compared with NAME.expected, which
# NAME.R printed (R is not needed to run the tests). See refcheck.c for the
# format and tolerances.
set -u
refdir="$top_srcdir/tests/reference"
status=0
count=0
tmp=$(mktemp "${TMPDIR:-/tmp}/ref.XXXXXX") || exit 99
trap 'rm -f "$tmp"' EXIT
for exp in "$refdir"/*.expected; do
    [ -e "$exp" ] || continue
    name=$(basename "$exp" .expected)
    count=$((count + 1))
    if ! (cd "$refdir" && "$WFSTAT" --format=json --bail "$name.wfs") >"$tmp"; then
        echo "FAIL $name: wfstat exited with an error"
        status=1
        continue
    fi
    "$top_builddir/tests/refcheck" "$exp" "$tmp" || status=1
done
if [ "$count" = 0 ]; then
    echo "no reference cases found in $refdir"
    exit 1
fi
exit $status
