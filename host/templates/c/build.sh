#!/usr/bin/env bash
# Builds auth.c into ./auth.wasm (a WebAssembly component): ./build.sh [OUT]
# Needs clang-19 for wasm32-wasi (Debian: clang-19 lld-19
# libclang-rt-19-dev-wasm32 wasi-libc) and wasmgate (on PATH or at
# $WASMGATE_BIN). The recipe is the SDK's: wasmgate-c/build-component.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/auth.wasm}"
bash "$here/wasmgate-c/build-component.sh" "$here" "$here/wit/auth" "$out"
echo "built $out"
