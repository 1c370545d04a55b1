#!/usr/bin/env bash
# Builds a Go auth handler into a component:
#   build-component.sh SRC_DIR WIT_DIR OUT
# SRC_DIR holds the handler's *.go files (package main, importing
# wit_component/wasmgate); WIT_DIR is the `langgraph:auth` package (wit/auth).
# Used by examples/policy-go/build.sh and by the projects `wasmgate new --lang
# go` creates (which vendor this folder as wasmgate-go/).
#
# Needs Go >= 1.27 ($WASMGATE_GO, else `go` on PATH) and wasmgate
# ($WASMGATE_BIN, else on PATH), which runs the bindings and component steps
# (`wasmgate componentize`). The generated bindings import the module
# go.bytecodealliance.org/pkg: Go downloads it as usual, or, offline, set
# $WASMGATE_GO_PKG to a folder holding it (the wit-bindgen-go crate ships one
# in src/pkg). In wasmgate's repository:
#   source scripts/bootstrap.sh && ensure_go_toolchain
#
# Steps: bindings for world `authorizer` into a temporary module
# `wit_component`, with SRC_DIR's Go files, the SDK (wasmgate/) and its glue
# (glue/) -> go build (wasip1, c-shared, offline) -> strip -> embed the WIT
# metadata -> component with the WASI preview-1 reactor adapter.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 SRC_DIR WIT_DIR OUT" >&2; exit 2; }
src="$1" wit="$2" out="$3"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
go="${WASMGATE_GO:-$(command -v go || true)}"
pkg="${WASMGATE_GO_PKG:-}"
wasmgate="${WASMGATE_BIN:-$(command -v wasmgate || true)}"

missing() {
    echo "build: $1 (in wasmgate's repository: source scripts/bootstrap.sh && ensure_go_toolchain)" >&2
    exit 1
}
[ -n "$go" ] && [ -x "$go" ] || missing "Go not found (set WASMGATE_GO or put go >= 1.27 on PATH)"
[ -z "$pkg" ] || [ -f "$pkg/go.mod" ] || missing "no go.mod in WASMGATE_GO_PKG=$pkg (module go.bytecodealliance.org/pkg)"
[ -n "$wasmgate" ] && [ -x "$wasmgate" ] || missing "wasmgate not found (set WASMGATE_BIN or put it on PATH)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mod="$work/mod"

# gofmt (next to go) formats the generated code when it is on PATH.
PATH="$(dirname "$go"):$PATH" "$wasmgate" componentize bindgen-go --wit "$wit" --world authorizer "$mod"
find "$src" -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} "$mod/" \;
mkdir -p "$mod/wasmgate"
find "$sdk/wasmgate" -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} "$mod/wasmgate/" \;
cp -R "$sdk/glue/." "$mod/"
cat >"$mod/go.mod" <<GOMOD
module wit_component

go 1.27

require go.bytecodealliance.org/pkg v0.4.0
GOMOD
export GOOS=wasip1 GOARCH=wasm GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off GOTELEMETRY=off
if [ -n "$pkg" ]; then
    # The local copy, and nothing from the network.
    printf '\nreplace go.bytecodealliance.org/pkg => %s\n' "$pkg" >>"$mod/go.mod"
    export GOPROXY=off
fi
if [ -z "${HOME:-}" ] && [ -z "${GOCACHE:-}" ]; then
    export GOCACHE="$work/go/cache" GOPATH="$work/go/path"
fi
(cd "$mod" && "$go" build -trimpath -buildmode=c-shared -ldflags='-checklinkname=0 -s -w' -o "$work/core.wasm" .)
"$wasmgate" componentize strip "$work/core.wasm" "$work/stripped.wasm"
"$wasmgate" componentize embed --wit "$wit" --world authorizer "$work/stripped.wasm" "$work/embedded.wasm"
"$wasmgate" componentize new "$work/embedded.wasm" "$out"
