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

# The reference LangGraph server (`langgraph dev` with the in-memory runtime)
# for the differential tests in tests/compare. The versions are the ones the
# specs in shared/spec describe; the constraints file pins everything under them.
ensure_reference_server() {
    ensure_python_client
    local venv="$repo/.venv"
    local pins=(
        "langgraph-cli[inmem]==0.4.40"
        "langgraph-api==0.16.7"
        "langgraph-runtime-inmem==0.36.7"
        "langgraph-sdk==0.4.14"
        "langgraph==1.2.24"
        "langgraph-checkpoint==4.3.2"
    )
    local check='
import re, sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = re.match(r"([^\[=]+)(?:\[.*\])?==(.+)", pin).groups()
    if version(name) != want:
        sys.exit(1)
'
    if [ ! -x "$venv/bin/langgraph" ] || ! "$venv/bin/python" -c "$check" "${pins[@]}" 2>/dev/null; then
        echo "==> installing the reference LangGraph server (langgraph-cli[inmem]) into $venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            -c "$repo/tests/compare/reference-constraints.txt" "${pins[@]}"
    fi
    export WASMGATE_REFERENCE_LANGGRAPH="$venv/bin/langgraph"
}

# Guest toolchains, one file per language (`ensure_<lang>_toolchain`), so
# that adding a language adds one file here and one build recipe in
# examples/policy-<lang>/build.sh.
for toolchain in "$repo"/scripts/toolchains/*.sh; do
    [ -e "$toolchain" ] || continue
    # shellcheck source=/dev/null
    source "$toolchain"
done
