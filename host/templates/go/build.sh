#!/usr/bin/env bash
# Builds auth.go into ./auth.wasm (a WebAssembly component): ./build.sh [OUT]
# Needs Go >= 1.27 (WASMGATE_GO or on PATH) and wasmgate (on PATH or at
# $WASMGATE_BIN). Go downloads the module go.bytecodealliance.org/pkg as
# usual; offline, point WASMGATE_GO_PKG at a copy. The recipe is the SDK's:
# wasmgate-go/build-component.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/auth.wasm}"
bash "$here/wasmgate-go/build-component.sh" "$here" "$here/wit/auth" "$out"
echo "built $out"
