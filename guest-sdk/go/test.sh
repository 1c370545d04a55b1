#!/usr/bin/env bash
# Native unit tests of the Go guest SDK (package wasmgate): ./test.sh
# Needs Go: source scripts/bootstrap.sh && ensure_go_toolchain
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
go="${WASMGATE_GO:-$(command -v go || true)}"
[ -n "$go" ] || { echo "test.sh: no Go; run: source scripts/bootstrap.sh && ensure_go_toolchain" >&2; exit 1; }
cd "$here"
GOPROXY=off GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod "$go" vet ./wasmgate
GOPROXY=off GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod "$go" test ./wasmgate
