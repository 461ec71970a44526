#!/usr/bin/env bash
# Cond Broadcast and Signal with k parked waiters, RUNS times (default 3) as separate processes.
#   GO=/path/to/go RUNS=3 bash benchmarks/go/condwake/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../goenv.sh"
bin="$(mktemp -d)/condwake"
(cd "$here" && "$GO" version && "$GO" vet . && "$GO" build -o "$bin" .)
mkdir -p "$here/results"
for k in $(seq 1 "${RUNS:-3}"); do
  "$bin"
done | tee "$here/results/runs.txt"
