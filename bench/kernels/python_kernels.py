"""The benchmark kernels written as plain, idiomatic Python.

Each function computes exactly what the C kernel of the same name returns
(as the unsigned 32-bit value the wasm export yields), so the wasm runs and
these can be checked against each other and timed side by side. They are
written the way a Python programmer would write them, not as transliterated
wasm: this is the "plain Python" baseline of the benchmark tables.
"""

from __future__ import annotations

MASK32 = 0xFFFFFFFF


def fib(n: int) -> int:
    """Naive recursive Fibonacci, modulo 2**32 (matches fib.c)."""
    if n < 2:
        return n
    return (fib(n - 1) + fib(n - 2)) & MASK32


def sieve(n: int) -> int:
    """Number of primes below ``n`` (matches sieve.c)."""
    if n < 3:
        return 0
    composite = bytearray(n)
    count = 0
    for i in range(2, n):
        if composite[i]:
            continue
        count += 1
        for j in range(i * i, n, i):
            composite[j] = 1
    return count


def fnv1a(n: int) -> int:
    """FNV-1a-32 of ``n`` bytes drawn from the LCG in fnv.c."""
    buf = bytearray(n)
    state = 12345
    for i in range(n):
        state = (state * 1103515245 + 12345) & MASK32
        buf[i] = (state >> 16) & 0xFF
    h = 2166136261
    for byte in buf:
        h = ((h ^ byte) * 16777619) & MASK32
    return h


def mandelbrot(size: int, max_iter: int = 50) -> int:
    """Points of a size x size grid that stay bounded (matches mandelbrot.c).

    The operation order matches the C source exactly, so the f64 rounding is
    identical and the counts agree bit for bit.
    """
    inside = 0
    scale_x = 2.5 / size
    scale_y = 2.5 / size
    for py in range(size):
        ci = py * scale_y - 1.25
        for px in range(size):
            cr = px * scale_x - 2.0
            zr = zi = 0.0
            k = 0
            while k < max_iter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                k += 1
            if k == max_iter:
                inside += 1
    return inside


def _s16(value: int) -> int:
    value &= 0xFFFF
    return value - 0x10000 if value & 0x8000 else value


def dot(n: int) -> int:
    """i16 dot product with wrapping i32 sum (matches simd_dot.c, both builds)."""
    n &= ~7
    state = 1
    total = 0
    for _ in range(n):
        state = (state * 1664525 + 1013904223) & MASK32
        a = _s16(state >> 16)
        state = (state * 1664525 + 1013904223) & MASK32
        b = _s16(state >> 16)
        total += a * b
    return total & MASK32


class BadInput(Exception):
    """The error a checked step raises (exceptions.wat's tag $bad_input, payload x)."""

    def __init__(self, x: int):
        super().__init__(x)
        self.x = x


def _checked_step(x: int, bad: int) -> int:
    if x % 1009 == bad:
        raise BadInput(x)
    return (((x * x) & MASK32) >> 3) ^ x


def rare_errors(n: int, bad: int = 0) -> int:
    """Checked steps, about one in 1009 raising; errors are caught and counted (exceptions.wat)."""
    acc = errors = 0
    for i in range(n):
        x = (i * 7919 + 17) & MASK32
        try:
            acc = (acc * 31 + _checked_step(x, bad)) & MASK32
        except BadInput as error:
            acc ^= error.x
            errors += 1
    return (acc + errors * 65599) & MASK32


def try_idle(n: int) -> int:
    """rare_errors with a ``bad`` no remainder equals: the try never catches."""
    return rare_errors(n, 1009)


def try_none(n: int) -> int:
    """try_idle's loop without the try."""
    acc = 0
    for i in range(n):
        acc = (acc * 31 + _checked_step((i * 7919 + 17) & MASK32, 1009)) & MASK32
    return acc


def tokens(n: int) -> int:
    """Words and numbers in ``n`` LCG bytes (tailcalls.wat's state machine, as a loop with a state variable).

    Bytes below 64 are spaces, 64-159 letters, 160-255 digits; a digit inside
    a word stays in the word, a letter after digits starts a word.
    """
    state = 12345
    words = numbers = 0
    mode = "space"
    for _ in range(n):
        state = (state * 1103515245 + 12345) & MASK32
        byte = (state >> 16) & 0xFF
        if byte < 64:
            mode = "space"
        elif mode == "space":
            if byte < 160:
                words += 1
                mode = "word"
            else:
                numbers += 1
                mode = "number"
        elif mode == "number" and byte < 160:
            words += 1
            mode = "word"
    return ((words << 16) + numbers) & MASK32


def binary_trees(n: int) -> int:
    """Nodes counted by binary-trees (binary_trees.wat), trees as (left, right) tuples, leaves (None, None)."""

    def bottom_up(depth):
        if depth == 0:
            return (None, None)
        return (bottom_up(depth - 1), bottom_up(depth - 1))

    def check(tree):
        left, right = tree
        return 1 if left is None else 1 + check(left) + check(right)

    max_depth = max(6, n)
    total = check(bottom_up(max_depth + 1))
    long_lived = bottom_up(max_depth)
    for depth in range(4, max_depth + 1, 2):
        for _ in range(1 << (max_depth - depth + 4)):
            total += check(bottom_up(depth))
    return (total + check(long_lived)) & MASK32


KERNELS = {
    "fib": fib,
    "sieve": sieve,
    "fnv1a": fnv1a,
    "mandelbrot": mandelbrot,
    "dot": dot,
    "rare_errors": rare_errors,
    "try_idle": try_idle,
    "try_none": try_none,
    "tokens": tokens,
    "binary_trees": binary_trees,
}
