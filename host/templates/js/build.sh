#!/usr/bin/env bash
# Builds auth.mts into ./auth.wasm (a WebAssembly component, QuickJS).
# Needs Node.js >= 20.19. The first build installs the SDK's pinned build
# tools (jco, componentize-qjs, rolldown) from npm into wasmgate-js/node_modules;
# WASMGATE_JS_SDK may point at an SDK folder that has them already.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/auth.wasm}"
sdk="${WASMGATE_JS_SDK:-$here/wasmgate-js}"
node="${WASMGATE_NODE:-$(command -v node || true)}"
if [ -z "$node" ]; then
    echo "build.sh: Node.js >= 20.19 is needed" >&2
    exit 1
fi
if [ ! -x "$sdk/node_modules/.bin/componentize-qjs" ]; then
    echo "==> installing the build tools into $sdk/node_modules (npm ci)"
    (cd "$sdk" && CI=true npm ci --no-audit --no-fund --loglevel=error)
fi
"$node" "$sdk/build.mjs" "$here/auth.mts" --wit "$here/wit/auth" -o "$out"
echo "built $out"
