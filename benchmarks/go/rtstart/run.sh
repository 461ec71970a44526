#!/bin/sh
# Usage: benchmarks/go/rtstart/run.sh [RUNS] > out.txt: the runtime's state
# while the main of main.go sleeps (GODEBUG=schedtrace=1,scheddetail=1 each ms:
# every P's schedtick, every G's status and wait reason, the thread count),
# RUNS times (default 20) at GOMAXPROCS 1, 2, 4 and 8.  measure.py parses it.
# go.mod says go 1.25: GODEBUG defaults follow the module's Go version, and
# updatemaxprocs (the GOMAXPROCS updater goroutine) is off before 1.25.
set -e
cd "$(dirname "$0")"
. ../goenv.sh
"$GO" build -o /tmp/gmpcore-rtstart .
echo "# $("$GO" version) $(uname -m) nproc=$(nproc) load: $(cut -d' ' -f1-3 /proc/loadavg)"
for p in 1 2 4 8; do
  for i in $(seq "${1:-20}"); do
    echo "== GOMAXPROCS=$p run $i"
    GOMAXPROCS=$p GODEBUG=schedtrace=1,scheddetail=1 /tmp/gmpcore-rtstart 2>/dev/stdout >/dev/null |
      grep -v '^  M'
  done
done
