#!/usr/bin/env bash
# Rerun every cost measurement: builds the program (its sources ship inside the
# package, gmpcore/calibrate/go, so that `gmpcore calibrate` can build it too)
# with the local Go toolchain (standard library only, no downloads) and runs it
# RUNS times (default 3) as separate processes, writing results/run<k>.txt (log)
# and results/run<k>.json.
#   GO=/path/to/go RUNS=3 REPS=9 bash benchmarks/go/costs/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../../gmpcore/calibrate/go"
. "$here/../goenv.sh"
bin="$(mktemp -d)/costs"
(cd "$src" && "$GO" version && "$GO" vet . && "$GO" build -o "$bin" .)
mkdir -p "$here/results"
for k in $(seq 1 "${RUNS:-3}"); do
  echo "== run $k" >&2
  (cd "$here/results" && "$bin" -reps "${REPS:-9}" -out "run$k.json" 2>&1 | grep -v 'cannot set cpu profile rate' | tee "run$k.txt")
done
