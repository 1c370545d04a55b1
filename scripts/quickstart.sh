#!/usr/bin/env bash
# Builds the quickstart handler and graph from source and starts wasmgate on
# them with the embedded SQLite store. Listens on 127.0.0.1:${PORT:-2024}; if
# that port is taken, says so and picks a free one. The URL is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
ensure_wasm_target

echo "==> building the API-key handler and the on-behalf graph (wasm32-wasip2)"
cargo build --profile guest --locked --target wasm32-wasip2 -p apikey-auth -p on-behalf-graph
target="${CARGO_TARGET_DIR:-target}"
cp "$target/wasm32-wasip2/guest/apikey_auth.wasm" examples/quickstart/auth.wasm
cp "$target/wasm32-wasip2/guest/on_behalf_graph.wasm" examples/quickstart/agent.wasm
echo "==> building wasmgate"
cargo build --release --locked -p wasmgate

port="${PORT:-2024}"
if [ "$port" != 0 ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "==> port $port is already in use on this machine; starting on a free port instead"
    echo "    (set PORT=N to choose one, e.g. PORT=8123 $0)"
    port=0
fi
echo "==> try it:  curl -s -H 'x-api-key: alice-key' -X POST \$URL/threads   (URL printed below)"
exec "$target/release/wasmgate" serve --config examples/quickstart/langgraph.json --port "$port"
