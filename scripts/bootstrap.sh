#!/usr/bin/env bash
# Installs what wasmgate's builds and tests need on a fresh machine.
# Idempotent: every step checks before it installs. Sourced by the other scripts.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-wasip2; then
        echo "==> installing the wasm32-wasip2 Rust target"
        rustup target add wasm32-wasip2
    fi
}

# A virtualenv with the official LangGraph Python client, for the tests.
ensure_python_client() {
    local venv="$repo/.venv"
    if [ ! -x "$venv/bin/python" ]; then
        echo "==> creating $venv"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import langgraph_sdk" 2>/dev/null; then
        echo "==> installing langgraph-sdk into $venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "langgraph-sdk==0.4.14"
    fi
    export WASMGATE_TEST_PYTHON="$venv/bin/python"
}
