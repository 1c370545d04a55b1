# shellcheck shell=bash
# Python guests: componentize-py from PyPI, in the repo venv (.venv).
# Sourced by scripts/bootstrap.sh; used by examples/policy-python/build.sh.

WASMGATE_COMPONENTIZE_PY_VERSION="0.25.1"

# Installs componentize-py (idempotent) and exports WASMGATE_COMPONENTIZE_PY,
# the executable the Python build recipes run.
ensure_python_toolchain() {
    ensure_python_client
    local venv="$repo/.venv"
    local tool="$venv/bin/componentize-py"
    if [ "$("$tool" --version 2>/dev/null)" != "componentize-py $WASMGATE_COMPONENTIZE_PY_VERSION" ]; then
        echo "==> installing componentize-py $WASMGATE_COMPONENTIZE_PY_VERSION into $venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "componentize-py==$WASMGATE_COMPONENTIZE_PY_VERSION"
    fi
    export WASMGATE_COMPONENTIZE_PY="$tool"
}
