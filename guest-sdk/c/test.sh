#!/usr/bin/env bash
# Native unit tests of the C guest SDK's JSON layer: ./test.sh
# Uses the host's cc (or clang-19), with AddressSanitizer and UBSan when the
# compiler can link them (gcc's can; clang-19 without libclang-rt-19-dev cannot).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cc="${CC:-$(command -v cc || command -v clang-19)}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
flags=(-std=c11 -Wall -Wextra -Werror -g -O1)
if echo 'int main(void){return 0;}' | "$cc" -x c - -fsanitize=address,undefined -o "$out/probe" 2>/dev/null; then
    flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all)
fi
"$cc" "${flags[@]}" "$here/wasmgate_json.c" "$here/test_json.c" -o "$out/test_json"
"$out/test_json"
