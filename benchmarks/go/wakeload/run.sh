#!/usr/bin/env bash
# nanosleep(1ms) lateness beside 0-6 bursty threads, RUNS times (default 3) each.
#   GO=/path/to/go RUNS=3 bash benchmarks/go/wakeload/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../goenv.sh"
bin="$(mktemp -d)/wakeload"
(cd "$here" && "$GO" version && "$GO" vet . && "$GO" build -o "$bin" .)
mkdir -p "$here/results"
{
  echo "# $("$GO" version); load $(cut -d' ' -f1-3 /proc/loadavg)"
  for k in $(seq 1 "${RUNS:-3}"); do
    for a in "0 1ms 1ms" "2 150us 150us" "4 150us 150us" "4 150us 50us" "6 150us 150us"; do
      GOMAXPROCS=8 "$bin" $a
    done
  done
} | tee "$here/results/runs.txt"
