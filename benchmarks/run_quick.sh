#!/usr/bin/env bash
# Prove the benchmarks run: the quick asv profile, each benchmark once, against
# the Python environment this script runs in (gmpcore and the `bench` extra
# installed there: pip install '.[bench]').  Results are not saved (--quick).
#   bash benchmarks/run_quick.sh [extra asv run arguments, e.g. -b Rates]
# Exits non-zero if asv fails or if any benchmark failed or was not run:
# asv's exit code covers failed benchmarks, the log check below also catches
# a module that could not be imported.
set -euo pipefail
cd "$(dirname "$0")/.."
export GMPCORE_BENCH=quick
PY="${PYTHON:-python}"
PY="$(command -v "$PY")"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

"$PY" -m asv machine --yes >/dev/null
status=0
"$PY" -m asv run --quick --show-stderr --environment "existing:$PY" "$@" 2>&1 \
  | tee "$log" || status=$?

if [ "$status" -ne 0 ]; then
  echo "run_quick.sh: asv run exited with $status" >&2
  exit "$status"
fi
# A failed benchmark prints "failed" in its result line or table cell, a
# module that does not import prints a traceback at discovery.
if grep -Eq '(^|[[:space:]])failed([[:space:]]|$)|Traceback \(most recent call last\)' "$log"; then
  echo "run_quick.sh: some benchmarks failed (see above)" >&2
  exit 1
fi
if [ "$#" -eq 0 ] && ! grep -q 'bench_simulate\.' "$log"; then
  echo "run_quick.sh: no bench_simulate benchmark ran" >&2
  exit 1
fi
echo "run_quick.sh: all benchmarks ran"
