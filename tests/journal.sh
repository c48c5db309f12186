#!/bin/sh
# journal.sh - log "file" writes a journal that replays to byte-identical
# results: running it prints exactly its #> lines. Also: the journal holds
# the session from its start, failed and file-writing commands are kept as
# comments, the loaded file's SHA-256 is recorded, save and export write
# files atomically and refuse to overwrite without replace.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/journal.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 99
cp "$top_srcdir/tests/data/shell.csv" .
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# A session: some work, then log, then more work in another format.
"$WFSTAT" --format=markdown -e '
load "shell.csv"
design weight=pw strata=stype fpc=fpc
mena api00
mean api00 by role deff
log "session.wfs"
prop training by stype ci=beta
save "prop.csv"
set format=json width=120
quantile api00 p=0.5 by stype
help ratio
export "weighted.csv"
run "more.wfs"
log off
mean caseload
' >session.out 2>session.err
# (mena and the missing more.wfs fail: exit status 1)
[ $? -eq 1 ] || fail "the session should report its failed commands"

[ -f session.wfs ] || { echo "FAIL: no journal written"; exit 1; }
grep -q '^# wfstat .* session journal' session.wfs || fail "no version header"
grep -q '^set format=markdown$' session.wfs || fail "the --format of the session is not recorded"
grep -q '^load "shell.csv"$' session.wfs || fail "the session before log is not in the journal"
sum=$(sha256sum shell.csv 2>/dev/null | cut -d' ' -f1)
if [ -n "$sum" ]; then
    grep -q "^# sha256 $sum  .*/shell.csv\$" session.wfs || fail "no SHA-256 of the loaded file"
fi
grep -q '^# failed: mena api00$' session.wfs || fail "a failed command is not commented out"
grep -q '^# error: unknown command "mena"' session.wfs || fail "no error message in the journal"
grep -q '^# save "prop.csv"$' session.wfs || fail "save is replayed"
grep -q '^# export "weighted.csv"$' session.wfs || fail "export is replayed"
grep -q '^# log off$' session.wfs || fail "log off is not in the journal"
grep -q '^mean caseload' session.wfs && fail "a command after log off is in the journal"

# The replay prints exactly the #> lines.
grep '^#>' session.wfs | sed 's/^#> \{0,1\}//' >expected.out
"$WFSTAT" session.wfs >replay.out 2>replay.err || fail "the journal does not replay cleanly: $(cat replay.err)"
cmp -s expected.out replay.out || {
    fail "the replay differs from the journal"
    diff expected.out replay.out | head -20
}
[ -s expected.out ] || fail "the journal holds no output"

# save and export wrote their files, and will not overwrite them.
[ -f prop.csv ] && grep -q '^statistic,variable,level' prop.csv || fail "save wrote no CSV"
head -1 weighted.csv | grep -q ',final_weight$' || fail "export wrote no weights"
"$WFSTAT" -e 'load "shell.csv"; list id n=1; save "prop.csv"' >/dev/null 2>err.txt && fail "save overwrote a file"
grep -q 'prop.csv exists: add replace to overwrite it' err.txt || fail "no message about replace"
"$WFSTAT" -e 'load "shell.csv"; list id n=1; save "prop.csv" replace' >/dev/null 2>&1 || fail "save replace failed"
grep -q '^row,id' prop.csv || fail "save replace did not replace"
"$WFSTAT" -e 'load "shell.csv"; log "session.wfs"' >/dev/null 2>&1 && fail "log overwrote a journal"
"$WFSTAT" -e 'save "x.csv"' >/dev/null 2>err.txt && fail "save with no result succeeded"
grep -q 'no result to save' err.txt || fail "no message for save with no result"
"$WFSTAT" -e 'load "shell.csv"; describe; save "x.odt"' >/dev/null 2>err.txt && fail "save guessed a format"
grep -q 'format=' err.txt || fail "no advice on the format"
ls -a | grep -q '\.tmp$' && fail "temporary files left behind"

# An exported file loads again with the same numbers.
"$WFSTAT" -e 'load "shell.csv"; design weight=pw strata=stype fpc=fpc; mean api00' 2>&1 |
    grep '^api00' >a.out
"$WFSTAT" -e 'load "weighted.csv"; design weight=final_weight strata=stype fpc=fpc; mean api00' 2>&1 |
    grep '^api00' >b.out
[ -s a.out ] && cmp -s a.out b.out || fail "the exported data give other estimates"

if [ $failures -gt 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
exit 0
