#!/usr/bin/env bash
# Builds auth.py into an auth component: build.sh [OUT] (default: ./auth.wasm here).
# Needs componentize-py: `source scripts/bootstrap.sh && ensure_python_toolchain`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$here/auth.wasm}"
componentize_py="${WASMGATE_COMPONENTIZE_PY:-$repo/.venv/bin/componentize-py}"

if [ ! -x "$componentize_py" ]; then
    echo "build.sh: componentize-py not found at $componentize_py;" \
        "run: source scripts/bootstrap.sh && ensure_python_toolchain" >&2
    exit 1
fi

# The build driver needs only the standard library; prefer the venv's Python.
python="$(dirname "$componentize_py")/python"
[ -x "$python" ] || python=python3

PYTHONPATH="$repo/guest-sdk/python" "$python" -m wasmgate_auth.build \
    "$here/auth.py:auth" \
    --wit "$repo/wit/auth" \
    --componentize-py "$componentize_py" \
    -o "$out"
