#!/bin/sh
# man.sh - the COMMANDS section of doc/wfstat.1 must be what the command
# table generates (wfstat --man-commands). With --update, rewrite it.
set -u
page="$top_srcdir/doc/wfstat.1"
tmp=$(mktemp "${TMPDIR:-/tmp}/man.XXXXXX") || exit 99
trap 'rm -f "$tmp" "$tmp.new"' EXIT
"$WFSTAT" --man-commands >"$tmp" || exit 1
begin='.\\" BEGIN GENERATED COMMANDS'
end='.\\" END GENERATED COMMANDS'
if [ "${1:-}" = --update ]; then
    awk -v gen="$tmp" -v b="$begin" -v e="$end" '
        $0 == b { print; while ((getline l < gen) > 0) print l; skip = 1; next }
        $0 == e { skip = 0 }
        !skip' "$page" >"$tmp.new" && cp "$tmp.new" "$page"
    exit 0
fi
awk -v b="$begin" -v e="$end" '$0 == e { p = 0 } p { print } $0 == b { p = 1 }' "$page" >"$tmp.new"
if ! diff -u "$tmp.new" "$tmp"; then
    echo "doc/wfstat.1 is out of date with the command table: run make man"
    exit 1
fi
# Every command has its help, example and equivalents.
"$WFSTAT" -e 'help' >/dev/null || exit 1
