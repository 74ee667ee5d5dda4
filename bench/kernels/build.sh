#!/bin/sh
# Build the benchmark kernels to freestanding wasm32 modules (no imports).
# Needs clang + wasm-ld (Debian clang 14 works). The built .wasm files are
# committed, so only rerun this after editing a kernel.
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang}
# -fno-builtin keeps clang from turning loops into memset/memcpy calls,
# which would become imports in a -nostdlib build.
CFLAGS="--target=wasm32 -O2 -nostdlib -fno-builtin -Wall -Wextra -Werror"
LDFLAGS="-Wl,--no-entry -Wl,-z,stack-size=65536"

build() {
    out=$1; shift
    "$CC" $CFLAGS "$@" $LDFLAGS -o "$out"
    echo "built $out ($(wc -c < "$out") bytes)"
}

build fib.wasm fib.c
build sieve.wasm sieve.c
build fnv.wasm fnv.c
build mandelbrot.wasm mandelbrot.c
build simd_dot.wasm -msimd128 simd_dot.c
build simd_dot_scalar.wasm simd_dot.c

# Kernels must be self-contained: fail if any module imports anything.
if command -v wasm-objdump >/dev/null 2>&1; then
    for f in *.wasm; do
        if wasm-objdump -x -j Import "$f" 2>/dev/null | grep -q ' <- '; then
            echo "error: $f has imports" >&2
            exit 1
        fi
    done
fi
