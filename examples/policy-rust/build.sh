#!/usr/bin/env bash
# Builds the Rust build of the shared policy: it is examples/owner-scoping
# (LangGraph's owner-scoping guide in Rust). Usage: ./build.sh [OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/auth.wasm}"
repo="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}/guests"
cargo build --quiet --locked --manifest-path "$repo/Cargo.toml" --profile guest \
    --target wasm32-wasip2 --target-dir "$target" -p owner-scoping
cp "$target/wasm32-wasip2/guest/owner_scoping.wasm" "$out"
