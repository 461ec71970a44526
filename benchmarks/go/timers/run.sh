#!/usr/bin/env bash
# The timer cost measurements, RUNS times (default 3) as separate processes.
#   GO=/path/to/go RUNS=3 bash benchmarks/go/timers/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../goenv.sh"
bin="$(mktemp -d)/timers"
(cd "$here" && "$GO" version && "$GO" build -o "$bin" .)
for k in $(seq 1 "${RUNS:-3}"); do
  "$bin"
done | tee "$here/results/runs.txt"
