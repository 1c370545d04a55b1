#!/usr/bin/env bash
# Native unit tests of the Go policy (go vet, go test; no bindings): ./test.sh
# Needs Go: source scripts/bootstrap.sh && ensure_go_toolchain
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../../guest-sdk/go/test-handler.sh" "$here"
