/* Call-heavy kernel: naive doubly recursive Fibonacci.
 * fib(n) makes about 2*fib(n) calls; the result wraps modulo 2^32. */
__attribute__((export_name("fib")))
unsigned fib(unsigned n) {
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}
