#!/usr/bin/env bash
# Builds auth.c into an auth component: build.sh [OUT] (default: ./auth.wasm here).
# Toolchain, once: source scripts/bootstrap.sh && ensure_c_toolchain
# The recipe itself is the SDK's: guest-sdk/c/build-component.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export WASMGATE_BIN="${WASMGATE_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/wasmgate}"
exec bash "$repo/guest-sdk/c/build-component.sh" "$here" "$repo/wit/auth" "${1:-$here/auth.wasm}"
