#!/usr/bin/env bash
# Builds auth.py into ./auth.wasm (a WebAssembly component).
# Needs componentize-py 0.25.1 (`pip install componentize-py==0.25.1`), found
# on PATH or at $WASMGATE_COMPONENTIZE_PY.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/auth.wasm}"
componentize_py="${WASMGATE_COMPONENTIZE_PY:-$(command -v componentize-py || true)}"
if [ -z "$componentize_py" ] || [ ! -x "$componentize_py" ]; then
    echo "build.sh: componentize-py not found: pip install componentize-py==0.25.1 (or set WASMGATE_COMPONENTIZE_PY)" >&2
    exit 1
fi
python="$(dirname "$componentize_py")/python"
[ -x "$python" ] || python=python3
PYTHONPATH="$here" "$python" -m wasmgate_auth.build "$here/auth.py:auth" \
    --wit "$here/wit/auth" --componentize-py "$componentize_py" -o "$out"
echo "built $out"
