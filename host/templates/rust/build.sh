#!/usr/bin/env bash
# Builds the handler into ./auth.wasm (a WebAssembly component).
# Needs the wasm32-wasip2 Rust target: `rustup target add wasm32-wasip2`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/auth.wasm}"
target="${CARGO_TARGET_DIR:-$here/target}"
cargo build --quiet --release --target wasm32-wasip2 --manifest-path "$here/Cargo.toml" --target-dir "$target"
cp "$target/wasm32-wasip2/release/{{crate}}.wasm" "$out"
echo "built $out"
