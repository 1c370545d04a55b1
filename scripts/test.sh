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
# Guest toolchains (scripts/toolchains/*.sh), for the policy in every language.
ensure_python_toolchain
ensure_js_toolchain
ensure_go_toolchain
ensure_c_toolchain

echo "==> building the wasmgate binary"
cargo build --release --locked -p wasmgate
echo "==> guest SDK and example unit tests (native)"
cargo test --release --locked -p wasmgate-guest -p apikey-auth -p on-behalf-graph -p owner-scoping -p authz-probe
echo "==> Python guest SDK unit tests, and the Python policy under the real langgraph_sdk"
"$WASMGATE_TEST_PYTHON" -m unittest discover -s guest-sdk/python/tests
"$WASMGATE_TEST_PYTHON" examples/policy-python/check_langgraph_compat.py
echo "==> JavaScript guest SDK and policy unit tests"
"$WASMGATE_NODE" --test guest-sdk/js/test/*.test.mjs examples/policy-js/auth.test.mjs
echo "==> Go guest SDK and policy unit tests (native go test)"
bash guest-sdk/go/test.sh
bash examples/policy-go/test.sh
echo "==> C guest SDK JSON layer unit tests (native, sanitizers)"
bash guest-sdk/c/test.sh
echo "==> host and end-to-end tests (guest components are built from source by the tests)"
cargo test --release --locked -p wasmgate -p wasmgate-e2e
