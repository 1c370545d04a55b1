#!/usr/bin/env bash
# Runs every wasmgate test from a fresh machine: installs the wasm32-wasip2
# target, the langgraph-sdk Python client and the reference LangGraph server
# (for the differential test), builds the server and the guest
# components from source, then runs the unit, integration and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
ensure_wasm_target
ensure_python_client
ensure_reference_server

echo "==> building the wasmgate binary"
cargo build --release --locked -p wasmgate
echo "==> guest SDK and example unit tests (native)"
cargo test --release --locked -p wasmgate-guest -p apikey-auth -p on-behalf-graph -p owner-scoping -p authz-probe
echo "==> host and end-to-end tests (guest components are built from source by the tests)"
cargo test --release --locked -p wasmgate -p wasmgate-e2e
