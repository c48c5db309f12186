#!/bin/sh
# fuzz/run.sh - run one fuzz target on its seed corpus.
#
#   fuzz/run.sh NAME [SECONDS]     e.g. fuzz/run.sh csv 600
#
# New inputs go to fuzz/work/NAME (not committed); crashes to
# fuzz/work/NAME/crash-*. One job, so two targets can share a small machine.
set -eu
name=$1
secs=${2:-600}
here=$(cd "$(dirname "$0")" && pwd)
bin=${FUZZ_BIN:-$here}/fuzz_$name
work=$here/work/$name
mkdir -p "$work/corpus"
# libFuzzer writes fuzz-0.log in the current directory.
cd "$work"
exec "$bin" -max_total_time="$secs" -jobs=1 -workers=1 -close_fd_mask=3 \
    -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" "$here/corpus/$name"
