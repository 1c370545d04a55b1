#!/usr/bin/env bash
# Builds a C auth handler into a component:
#   build-component.sh SRC_DIR WIT_DIR OUT
# SRC_DIR holds the handler's *.c files; WIT_DIR is the `langgraph:auth`
# package (wit/auth). Used by examples/policy-c/build.sh and by the projects
# `wasmgate new --lang c` creates (which vendor this folder as wasmgate-c/).
#
# Needs clang-19 for wasm32-wasi (Debian: clang-19 lld-19
# libclang-rt-19-dev-wasm32 wasi-libc) and wasmgate ($WASMGATE_BIN, else on
# PATH), which runs the bindings and component steps (`wasmgate
# componentize`). In wasmgate's repository:
#   source scripts/bootstrap.sh && ensure_c_toolchain
#
# Steps: bindings for world `authorizer` (generated into a temporary folder,
# never committed) -> clang (wasip1 reactor module) -> strip -> component
# with the WASI preview-1 reactor adapter.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 SRC_DIR WIT_DIR OUT" >&2; exit 2; }
src="$1" wit="$2" out="$3"
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
clang="${WASMGATE_CLANG:-clang-19}"
wasmgate="${WASMGATE_BIN:-$(command -v wasmgate || true)}"

missing() {
    echo "build: $1 not found; install it (in wasmgate's repository: source scripts/bootstrap.sh && ensure_c_toolchain)" >&2
    exit 1
}
command -v "$clang" >/dev/null || missing "$clang (Debian: apt-get install clang-19 lld-19 libclang-rt-19-dev-wasm32)"
[ -e /usr/lib/wasm32-wasi/libc.a ] || missing "wasi-libc (Debian: apt-get install wasi-libc)"
[ -n "$wasmgate" ] && [ -x "$wasmgate" ] || missing "wasmgate (set WASMGATE_BIN or put it on PATH)"
shopt -s nullglob
sources=("$src"/*.c)
[ ${#sources[@]} -gt 0 ] || { echo "build: no .c files in $src" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$wasmgate" componentize bindgen-c --wit "$wit" --world authorizer "$work/gen"
"$clang" --target=wasm32-wasi -mexec-model=reactor -O2 -std=c11 \
    -Wall -Wextra -Werror -Wno-unused-parameter \
    -I "$work/gen" -I "$sdk" \
    "${sources[@]}" "$sdk/wasmgate_auth.c" "$sdk/wasmgate_json.c" \
    "$work/gen/authorizer.c" "$work/gen/authorizer_component_type.o" \
    -o "$work/core.wasm"
"$wasmgate" componentize strip "$work/core.wasm" "$work/core.stripped.wasm"
"$wasmgate" componentize new "$work/core.stripped.wasm" "$out"
