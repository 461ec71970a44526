#!/usr/bin/env bash
# State-dependent cost measurements, RUNS times (default 3) as separate processes.
#   GO=/path/to/go RUNS=3 REPS=7 bash benchmarks/go/workingset/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../goenv.sh"
bin="$(mktemp -d)/workingset"
(cd "$here" && "$GO" version && "$GO" vet . && "$GO" build -o "$bin" .)
mkdir -p "$here/results"
for k in $(seq 1 "${RUNS:-3}"); do
  "$bin" -reps "${REPS:-7}"
  for n in 1000 3000 10000 100000 1000000; do "$bin" -once "$n"; done
done | tee "$here/results/runs.txt"
