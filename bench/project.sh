#!/bin/sh
# project.sh - time 1000 simulations of a 5-role x 6-band projection over
# 10 years (the performance target: well under a second).
#
#   bench/project.sh [WFSTAT] [RUNS]
#
# Writes the model to a temporary directory, runs `project` RUNS times
# (default 5) with JSON output to /dev/null, and prints the fastest and the
# median wall-clock time, next to a deterministic run of the same model (the
# cost of starting the program and reading the model).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
wfstat=${1:-${WFSTAT:-$here/../cli/wfstat}}
runs=${2:-5}
[ -x "$wfstat" ] || { echo "project.sh: no wfstat at $wfstat (build it first)" >&2; exit 2; }
case $wfstat in /*) ;; *) wfstat=$(pwd)/$wfstat ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wfsproj.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Five roles, six age bands: every headcount and rate by band, an se on
# each role's leaver rate, joiners and demand growth, and transitions.
awk 'BEGIN {
    OFS = ","
    print "role", "age_band", "parameter", "value", "se"
    split("Social worker,Senior practitioner,Team manager,Occupational therapist,Care manager", role, ",")
    split("18-24,25-34,35-44,45-54,55-64,65+", band, ",")
    split("0.04,0.22,0.28,0.24,0.17,0.05", mix, ",")
    for (r = 1; r <= 5; r++) {
        for (a = 1; a <= 6; a++) {
            print role[r], band[a], "headcount", 400 * r + 150 * a, ""
            print role[r], band[a], "leaver_rate", (a == 6 ? 0.30 : 0.08 + 0.01 * r), ""
        }
        print role[r], "", "scale:leaver_rate", 1, 0.1
        print role[r], "", "joiners", 260 * r + 350, 26 * r + 35
        print role[r], "", "demand", 2400 * r + 3400, ""
        print role[r], "", "demand_growth", 0.01 + 0.002 * r, 0.005
    }
    for (a = 1; a <= 6; a++) print "", band[a], "joiner_share", mix[a], ""
    print "Social worker", "", "transition:Senior practitioner", 0.05, 0.01
    print "Senior practitioner", "", "transition:Team manager", 0.04, 0.01
    print "Care manager", "", "transition:Social worker", 0.03, 0.01
    print "", "", "base_year", 2025, ""
}' >"$tmp/model.csv"

now() { date +%s.%N; }

# Median and minimum of the timings on stdin.
summary() {
    sort -n | awk '{ t[NR] = $1 } END {
        m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "min %.3f s, median %.3f s over %d runs\n", t[1], m, NR }'
}

time_runs() {
    i=0
    while [ "$i" -lt "$runs" ]; do
        t0=$(now)
        "$wfstat" --format=json -e "$1" >/dev/null
        t1=$(now)
        awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
        i=$((i + 1))
    done | summary
}

cd "$tmp"
# One untimed run, so a failure stops here instead of being timed.
"$wfstat" --format=json -e 'project "model.csv" years=10 sims=1000 seed=1' >/dev/null
echo "model: 5 roles x 6 age bands, 10 years ($(wc -l <model.csv) rows)"
printf 'deterministic:           '
time_runs 'project "model.csv" years=10'
printf '1000 simulations:        '
time_runs 'project "model.csv" years=10 sims=1000 seed=1'
printf '1000 simulations, text:  '
i=0
t0=$(now)
"$wfstat" -e 'project "model.csv" years=10 sims=1000 seed=1 plot' >"$tmp/out.txt"
t1=$(now)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f s (one run, with the fan chart)\n", b - a }'
