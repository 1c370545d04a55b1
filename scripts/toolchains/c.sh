# shellcheck shell=bash
# C guests: clang-19 for wasm32-wasi (Debian's clang, lld, compiler-rt
# builtins and wasi-libc), plus the wasmgate binary, whose `componentize`
# steps make the WIT bindings and turn the wasip1 module into a component.
# Sourced by scripts/bootstrap.sh; `ensure_c_toolchain` is idempotent and
# exports what examples/policy-c/build.sh reads:
#   WASMGATE_CLANG   the clang that targets wasm32-wasi
#   WASMGATE_BIN     the wasmgate binary

_wasmgate_toolchains_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Installs Debian packages that are not installed yet (apt-get update first,
# once per shell). Root runs apt-get directly, anyone else through sudo.
_wasmgate_apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "cannot install ${missing[*]}: not root and no sudo" >&2
            return 1
        }
        sudo=(sudo -n)
    fi
    echo "==> installing ${missing[*]} (apt)"
    if [ -z "${_wasmgate_apt_updated:-}" ]; then
        "${sudo[@]}" apt-get update -qq
        _wasmgate_apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" </dev/null
}

# Builds the wasmgate binary (release), whose `wasmgate componentize` steps
# the C and Go recipes run; a no-op when it is up to date.
ensure_wasmgate_bin() {
    local repo="$_wasmgate_toolchains_repo"
    local bin="${CARGO_TARGET_DIR:-$repo/target}/release/wasmgate"
    if [ ! -x "$bin" ]; then
        echo "==> building wasmgate (the C and Go recipes run \`wasmgate componentize\`)"
    fi
    cargo build --quiet --release --locked --manifest-path "$repo/Cargo.toml" -p wasmgate
    export WASMGATE_BIN="$bin"
}

ensure_c_toolchain() {
    _wasmgate_apt_install clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc
    export WASMGATE_CLANG=clang-19
    ensure_wasmgate_bin
}
