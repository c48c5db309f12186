#!/bin/sh
# golden.sh TEST.wfs - run a CLI golden test.
#
# The script runs from its own directory (so relative data paths work) with
# the options on a first line of the form "# args: --format=json"; its
# stdout and stderr, then "[exit N]", must equal TEST.out exactly.
# With WFSTAT_UPDATE_GOLDEN=1 the expected file is rewritten instead: read
# the diff before committing it.
set -u
test=$1
dir=$(cd "$(dirname "$test")" && pwd)
base=$(basename "$test" .wfs)
expected="$dir/$base.out"
args=$(sed -n '1s/^# args: *//p' "$test")
tmp=$(mktemp "${TMPDIR:-/tmp}/golden.XXXXXX") || exit 99
trap 'rm -f "$tmp"' EXIT
(cd "$dir" && COLUMNS=100 "$WFSTAT" $args "$base.wfs") >"$tmp" 2>&1
printf '[exit %d]\n' $? >>"$tmp"
if [ "${WFSTAT_UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$tmp" "$expected"
    exit 0
fi
if [ ! -f "$expected" ]; then
    echo "no expected output $expected; actual output was:"
    cat "$tmp"
    exit 1
fi
diff -u "$expected" "$tmp"
