/* Load/store-heavy kernel: fill n bytes of linear memory from a 32-bit LCG
 * (one byte store per step), then FNV-1a-32 hash them (one byte load per
 * step). Returns the hash; 0 if memory cannot grow. */
extern unsigned char __heap_base;

static int ensure_memory(unsigned long end) {
    unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
    if (end <= have)
        return 1;
    unsigned long pages = (end - have + 65535ul) / 65536ul;
    return __builtin_wasm_memory_grow(0, pages) != (unsigned long)-1;
}

__attribute__((export_name("fnv1a")))
unsigned fnv1a(unsigned n) {
    unsigned char *buf = &__heap_base;
    if (!ensure_memory((unsigned long)buf + n))
        return 0;
    unsigned state = 12345u;
    for (unsigned i = 0; i < n; i++) {
        state = state * 1103515245u + 12345u;
        buf[i] = (unsigned char)(state >> 16);
    }
    unsigned hash = 2166136261u;
    for (unsigned i = 0; i < n; i++) {
        hash ^= buf[i];
        hash *= 16777619u;
    }
    return hash;
}
