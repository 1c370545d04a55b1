#!/usr/bin/env bash
# Differential test against a running candidate server (e.g. wasmgate):
#   tests/compare/run.sh CANDIDATE_URL [more compare.py options]
# Installs the reference server if needed, starts it on a free port, runs the
# scenario against both and compares (see README.md). Exit 0 = agreement.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../../scripts/bootstrap.sh"
if [ $# -lt 1 ]; then
    echo "usage: $0 CANDIDATE_URL [compare.py options]" >&2
    exit 2
fi
ensure_reference_server
exec "$WASMGATE_TEST_PYTHON" "$here/compare.py" --reference auto --candidate "$1" "${@:2}"
