/* Branch-heavy kernel: sieve of Eratosthenes, counting the primes below n.
 * The flag array lives in linear memory after __heap_base; the kernel grows
 * memory itself when n needs more room. Returns -1 (0xffffffff) if the
 * memory cannot grow. */
extern unsigned char __heap_base;

static int ensure_memory(unsigned long end) {
    unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
    if (end <= have)
        return 1;
    unsigned long pages = (end - have + 65535ul) / 65536ul;
    return __builtin_wasm_memory_grow(0, pages) != (unsigned long)-1;
}

__attribute__((export_name("sieve")))
int sieve(int n) {
    if (n < 3)
        return 0; /* no primes below 2; 2 itself is not below 3 */
    unsigned char *composite = &__heap_base;
    if (!ensure_memory((unsigned long)composite + (unsigned long)n))
        return -1;
    for (int i = 0; i < n; i++)
        composite[i] = 0;
    int count = 0;
    for (int i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        /* i * i would overflow 32 bits (long is 32-bit on wasm32) for large i. */
        if (i > (n - 1) / i)
            continue;
        for (unsigned j = (unsigned)(i * i); j < (unsigned)n; j += (unsigned)i)
            composite[j] = 1;
    }
    return count;
}
