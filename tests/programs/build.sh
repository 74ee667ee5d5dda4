#!/bin/sh
# Build the WASI test programs (src/*.c) to wasm32-wasi commands in wasm/.
# Needs Debian's clang + lld + wasi-libc (the sysroot lives in /usr). The
# built .wasm files are committed; rerun this after editing a program.
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang}
SYSROOT=${WASI_SYSROOT:-/usr}
mkdir -p wasm
for src in src/*.c; do
    name=$(basename "$src" .c)
    "$CC" --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -Wall -Wextra -Werror \
        -Wl,--strip-debug "$src" -o "wasm/$name.wasm"
    echo "built wasm/$name.wasm ($(wc -c < "wasm/$name.wasm") bytes)"
done
