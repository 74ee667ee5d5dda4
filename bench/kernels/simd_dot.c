/* SIMD kernel: dot product of two i16 vectors of length n (n rounded down
 * to a multiple of 8), both filled from a 32-bit LCG. Accumulates in i32
 * with wrap-around, so the SIMD build (i32x4.dot_i16x8_s) and the scalar
 * build (plain loop, compiled without -msimd128) give the same result.
 * Returns 0 if memory cannot grow. */
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

extern unsigned char __heap_base;

static int ensure_memory(unsigned long end) {
    unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
    if (end <= have)
        return 1;
    unsigned long pages = (end - have + 65535ul) / 65536ul;
    return __builtin_wasm_memory_grow(0, pages) != (unsigned long)-1;
}

__attribute__((export_name("dot")))
unsigned dot(unsigned n) {
    n &= ~7u;
    short *a = (short *)(((unsigned long)&__heap_base + 15ul) & ~15ul);
    short *b = a + n;
    if (!ensure_memory((unsigned long)(b + n)))
        return 0;
    unsigned state = 1u;
    for (unsigned i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        a[i] = (short)(state >> 16);
        state = state * 1664525u + 1013904223u;
        b[i] = (short)(state >> 16);
    }
#ifdef __wasm_simd128__
    v128_t acc = wasm_i32x4_splat(0);
    for (unsigned i = 0; i < n; i += 8) {
        v128_t va = wasm_v128_load(a + i);
        v128_t vb = wasm_v128_load(b + i);
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(va, vb));
    }
    return (unsigned)wasm_i32x4_extract_lane(acc, 0) + (unsigned)wasm_i32x4_extract_lane(acc, 1) +
           (unsigned)wasm_i32x4_extract_lane(acc, 2) + (unsigned)wasm_i32x4_extract_lane(acc, 3);
#else
    unsigned acc = 0;
    for (unsigned i = 0; i < n; i++)
        acc += (unsigned)((int)a[i] * (int)b[i]);
    return acc;
#endif
}
