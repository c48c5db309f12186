#!/bin/sh
# repl.sh - the interactive shell as a new user meets it, typed into a
# pseudo-terminal with tmux: Tab completion, Tab Tab listings, continuation
# lines, errors that leave the session running, Ctrl-C on a line and on a
# running script, the prompt, and history kept across sessions.
#
# Skips (exit 77) when tmux is not installed or cannot start.
set -u
if ! command -v tmux >/dev/null 2>&1; then
    echo "tmux is not installed: skipping the terminal tests"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/repl.XXXXXX") || exit 99
sock="$tmp/tmux.sock"
tm() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup() {
    tm kill-server >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/home" "$tmp/work"
cp "$top_srcdir/tests/data/shell.csv" "$tmp/work/shell.csv"
: >"$tmp/inputrc"
{
    echo 'load "shell.csv"'
    echo 'design weight=pw strata=stype fpc=fpc'
    i=0
    while [ $i -lt 20000 ]; do
        echo 'mean api00 by role'
        i=$((i + 1))
    done
} >"$tmp/work/long.wfs"

failures=0
fail() {
    echo "FAIL: $*"
    echo "--- screen ---"
    tm capture-pane -p -t w 2>/dev/null | sed '/^$/d'
    echo "--------------"
    failures=$((failures + 1))
}

# start [ENV=VALUE ...]: a new shell in a 100x40 terminal.
start() {
    tm new-session -d -s w -x 100 -y 40 \
        "cd '$tmp/work' && exec env -u WFSTAT_NO_HISTORY HOME='$tmp/home' INPUTRC='$tmp/inputrc' $* '$WFSTAT'" ||
        { echo "cannot start tmux: skipping"; exit 77; }
    wait_for 'wfstat>' || fail "no prompt"
}
screen() { tm capture-pane -p -t w 2>/dev/null; }
# The line the cursor is on, trailing blanks removed.
current() {
    y=$(tm display-message -p -t w '#{cursor_y}')
    screen | sed -n "$((y + 1))p" | sed 's/ *$//'
}
type_text() { tm send-keys -t w -l "$1"; }
key() { tm send-keys -t w "$@"; }
# wait_for TEXT: until TEXT is on the screen (5 seconds at most).
wait_for() {
    n=0
    while [ $n -lt 50 ]; do
        screen | grep -F -q -- "$1" && return 0
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}
# expect_line TEXT: the cursor's line becomes exactly TEXT.
expect_line() {
    n=0
    while [ $n -lt 30 ]; do
        [ "$(current)" = "$1" ] && return 0
        sleep 0.1
        n=$((n + 1))
    done
    fail "expected the line \"$1\", got \"$(current)\""
}
# clear: an empty screen with the prompt at the top.
clear_screen() {
    key C-u C-l
    sleep 0.1
}
gone() {
    n=0
    while [ $n -lt 30 ]; do
        tm has-session -t w 2>/dev/null || return 0
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

# --- first session -------------------------------------------------------
start
wait_for 'type help for commands' || fail "no banner"

# he<TAB> completes help.
type_text 'he'
key Tab
expect_line 'wfstat> help'
key Enter
wait_for 'Type help COMMAND' || fail "help lists no commands"

# load "sh<TAB> completes the file name and closes the quote.
clear_screen
type_text 'load "sh'
key Tab
expect_line 'wfstat> load "shell.csv"'
key Enter
wait_for 'wfstat[shell]>' || fail "the prompt does not name the dataset"

# mean api<TAB><TAB> lists the matching variables.
clear_screen
type_text 'mean api'
key Tab
key Tab
wait_for 'api.stu  api00    api99' || fail "mean api<TAB><TAB> lists no variables"

# After by, variables; after ==, quoted levels.
clear_screen
type_text 'mean api00 by ro'
key Tab
expect_line 'wfstat[shell]> mean api00 by role'
type_text 'if training == '
key Tab
key Tab
wait_for 'Fully met   Not met     Partly met' || fail "no levels listed after =="
type_text '"N'
key Tab
expect_line 'wfstat[shell]> mean api00 by role if training == "Not met"'
# Option values.
type_text 'ci=xl'
key Tab
expect_line 'wfstat[shell]> mean api00 by role if training == "Not met" ci=xlogit'

# An error prints one line and the session continues.
clear_screen
type_text 'mena api00'
key Enter
wait_for 'unknown command "mena" (did you mean mean?)' || fail "no suggestion for mena"
type_text 'describe api.stu'
key Enter
wait_for 'api.stu  numeric' || fail "the session did not continue after an error"
clear_screen
type_text 'describe api0'
key Enter
wait_for 'did you mean' || fail "no suggestion for an unknown variable"

# A trailing backslash continues on a ...> line.
clear_screen
type_text 'describe api00 \'
key Enter
wait_for '...>' || fail "no continuation prompt"
type_text 'api99'
key Enter
wait_for 'api99  numeric' || fail "the continued command did not run"

# A paste of several lines runs each command.
clear_screen
tm set-buffer "$(printf 'describe fpc\ndescribe \\\ncaseload')"
tm paste-buffer -p -t w
key Enter
wait_for 'caseload  numeric' || fail "the last line of a paste did not run"
screen | grep -q '^fpc  *numeric' || fail "the first line of a paste did not run"

# Ctrl-C cancels the line being typed.
clear_screen
type_text 'describe role'
key C-c
wait_for 'describe role^C' || fail "Ctrl-C did not cancel the line"
expect_line 'wfstat[shell]>'
screen | grep -q 'categorical' && fail "the cancelled line ran"

# Ctrl-C stops a long script and the session goes on.
clear_screen
type_text 'run "long.wfs"'
key Enter
wait_for 'lonely PSU policy' || fail "the script did not start"
key C-c
wait_for 'interrupted' || fail "Ctrl-C did not stop the script"
clear_screen
type_text 'describe stype'
key Enter
wait_for 'E, H, M' || fail "the session did not continue after Ctrl-C"

# use completes dataset names, and the prompt follows.
clear_screen
type_text 'load "shell.csv" as other'
key Enter
wait_for 'wfstat[other]>' || fail "no prompt for the second dataset"
type_text 'use sh'
key Tab
expect_line 'wfstat[other]> use shell'
key Enter
expect_line 'wfstat[shell]>'

type_text 'quit'
key Enter
gone || fail "quit did not end the session"

# --- history across sessions ----------------------------------------------
[ -f "$tmp/home/.wfstat_history" ] || fail "no ~/.wfstat_history"
grep -q '^describe api00 api99$' "$tmp/home/.wfstat_history" ||
    fail "the continued command is not one history entry"
start
key Up
expect_line 'wfstat> quit'
key Up
expect_line 'wfstat> use shell'
key C-u
key C-d
gone || fail "Ctrl-D did not end the session"

# WFSTAT_NO_HISTORY: nothing is written.
before=$(cksum <"$tmp/home/.wfstat_history")
# This session also keeps a journal: tables on this 100-column terminal
# are wider than a script prints them, yet the journal replays exactly.
start WFSTAT_NO_HISTORY=1
type_text 'load "shell.csv"'
key Enter
type_text 'log "tty.wfs"'
key Enter
wait_for 'journal: tty.wfs' || fail "log said nothing"
type_text 'describe'
key Enter
wait_for 'Occupational therapist, Social' || fail "the table does not use the terminal's width"
type_text 'quit'
key Enter
gone || fail "quit did not end the session"
[ "$(cksum <"$tmp/home/.wfstat_history")" = "$before" ] || fail "history written under WFSTAT_NO_HISTORY"
(
    cd "$tmp/work" || exit 1
    grep '^#>' tty.wfs | sed 's/^#> \{0,1\}//' >tty.expected
    grep -q '^describe$' tty.wfs || exit 1
    "$WFSTAT" tty.wfs >tty.replay 2>&1 && cmp -s tty.expected tty.replay
) || fail "the journal of the terminal session does not replay to the same output"

if [ $failures -gt 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all terminal checks passed"
exit 0
