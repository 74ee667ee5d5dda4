#!/bin/sh
# Build gc_program.wasm from gc_program.py with p2w 0.2.3 (PyPI), a Python-to-WebAssembly
# compiler that targets WebAssembly GC (structs, arrays, i31, casts) and exceptions.
# p2w needs Python >= 3.12 and writes WebAssembly text, which wasm-tools (the version
# pinned in constraints.txt) assembles. The built module is committed (about 94 KB);
# only rerun this after editing gc_program.py, then update the sha256 in
# tests/programs/test_gc_program.py. The build is deterministic.
set -eu
cd "$(dirname "$0")"
PYTHON312=${PYTHON312:-python3.12}
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON312" -m venv "$work/venv"
"$work/venv/bin/pip" install -q p2w==0.2.3 pyyaml==6.0.4
"$work/venv/bin/p2w" gc_program.py -o "$work/gc_program.wat"
"$WASM_TOOLS" parse "$work/gc_program.wat" -o gc_program.wasm
echo "built gc_program.wasm ($(wc -c < gc_program.wasm) bytes, sha256 $(sha256sum gc_program.wasm | cut -d' ' -f1))"
