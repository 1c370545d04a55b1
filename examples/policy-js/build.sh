#!/usr/bin/env bash
# Build auth.mts into a wasmgate auth component (QuickJS, world langgraph:auth/authorizer).
#
#   source scripts/bootstrap.sh && ensure_js_toolchain   # once: jco + componentize-qjs from npm
#   examples/policy-js/build.sh [OUT]                    # default: auth.wasm next to this script
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$here/auth.wasm}"

node="${WASMGATE_NODE:-$(command -v node || true)}"
build="${WASMGATE_JS_BUILD:-$repo/guest-sdk/js/build.mjs}"
if [ -z "$node" ] || [ ! -x "$repo/guest-sdk/js/node_modules/.bin/componentize-qjs" ]; then
    echo "error: the JavaScript guest toolchain is not installed;" \
        "run: source scripts/bootstrap.sh && ensure_js_toolchain" >&2
    exit 1
fi

exec "$node" "$build" "$here/auth.mts" -o "$out"
