#!/bin/sh
# Regenerate the real-Go trace fixtures: for each program under programs/,
# build it with the local toolchain (offline), run it at GOMAXPROCS=4 to write
# <name>.trace, and save Go's own parse of it (go tool trace -d=parsed) as
# <name>.parsed.txt.gz, and its profiles (go tool trace -pprof=sched, sync, net
# and syscall, printed by go tool pprof -raw) as <name>.<kind>.txt, for
# tests/test_gotrace_real.py.  Usage: sh record.sh [GO]
# (ONLY="<dir> ..." records only those programs; PROFILES_ONLY=1 only redoes
# the profiles of the traces already recorded.)
set -e
here=$(cd "$(dirname "$0")" && pwd)
GO="${1:-${GO:-$(command -v go)}}"
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GO111MODULE=off
export GOCACHE="${GOCACHE:-/tmp/gmpcore-gotrace-gocache}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GO" version > "$here/go-version.txt"
for dir in ${ONLY:-"$here"/programs/*/}; do
  name=$(basename "$dir")
  if [ -z "$PROFILES_ONLY" ]; then
  mkdir "$tmp/$name.src"
  cp "$dir/main.go" "$here/programs/tracing.go" "$tmp/$name.src/"
  (cd "$tmp/$name.src" && "$GO" build -trimpath -o "$tmp/$name" main.go tracing.go)
  GOMAXPROCS=4 "$tmp/$name" "$here/$name.trace"
  "$GO" tool trace -d=parsed "$here/$name.trace" | grep "^M=" | gzip -9n > "$here/$name.parsed.txt.gz"
  fi
  # go tool trace's profiles as pprof's raw text (count, ns, stack per sample)
  for kind in sched sync net syscall; do
    "$GO" tool trace -pprof=$kind "$here/$name.trace" > "$tmp/$name.pb"
    "$GO" tool pprof -raw "$tmp/$name.pb" 2>/dev/null | sed -n '/^Samples/,$p' > "$here/$name.$kind.txt"
  done
  echo "$name: $(wc -c < "$here/$name.trace") bytes, $(gzip -dc "$here/$name.parsed.txt.gz" | wc -l) parsed lines"
done
