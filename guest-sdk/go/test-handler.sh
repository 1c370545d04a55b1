#!/usr/bin/env bash
# Native unit tests of a Go handler (its *.go and *_test.go with package
# wasmgate, no bindings): test-handler.sh SRC_DIR. The tests run in a copy of
# SRC_DIR, so files they read (langgraph.json) are copied along.
# Needs Go >= 1.27 ($WASMGATE_GO, else `go` on PATH).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 SRC_DIR" >&2; exit 2; }
src="$1"
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
go="${WASMGATE_GO:-$(command -v go || true)}"
[ -n "$go" ] || { echo "test: no Go (set WASMGATE_GO or put go >= 1.27 on PATH)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$src"/*.go "$work/"
[ ! -f "$src/langgraph.json" ] || cp "$src/langgraph.json" "$work/"
mkdir "$work/wasmgate"
find "$sdk/wasmgate" -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} "$work/wasmgate/" \;
printf 'module wit_component\n\ngo 1.27\n' >"$work/go.mod"
cd "$work"
export GOPROXY=off GOTOOLCHAIN=local GOWORK=off
"$go" vet .
"$go" test -count=1 .
