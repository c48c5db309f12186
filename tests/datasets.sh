#!/bin/sh
# datasets.sh - the shipped datasets are exactly what the generator writes.
#
# Runs datasets/generate/gendata into a temporary directory and compares
# every file it writes with the file shipped under datasets/, byte for
# byte. A difference means the generator or a shipped file was changed
# without the other: run `make datasets` and review the change.
set -u
gen="$top_builddir/datasets/generate/gendata"
shipped="$top_srcdir/datasets"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/datasets.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
if ! "$gen" "$tmp" >"$tmp/summary.txt" 2>&1; then
    cat "$tmp/summary.txt"
    echo "FAIL: the generator missed a target or could not write its files"
    exit 1
fi
rm -f "$tmp/summary.txt"
status=0
count=0
for f in $(cd "$tmp" && find . -type f | sort); do
    count=$((count + 1))
    if [ ! -f "$shipped/$f" ]; then
        echo "FAIL: datasets/${f#./} is written by the generator but not shipped"
        status=1
    elif ! cmp -s "$tmp/$f" "$shipped/$f"; then
        echo "FAIL: datasets/${f#./} differs from what the generator writes"
        cmp "$tmp/$f" "$shipped/$f"
        status=1
    fi
done
if [ "$count" -lt 11 ]; then
    echo "FAIL: the generator wrote $count files, expected 11"
    status=1
fi
[ "$status" = 0 ] && echo "ok: $count dataset files identical to the generator's output"
exit $status
