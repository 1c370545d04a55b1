#!/usr/bin/env bash
# Native unit tests of auth.go (go vet, go test; no bindings): ./test.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/wasmgate-go/test-handler.sh" "$here"
