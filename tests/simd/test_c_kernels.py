"""C kernels compiled by clang with -msimd128 (intrinsics and auto-vectorised loops) in both engines.

What real toolchains emit: wasm_simd128.h intrinsics and clang's loop
vectoriser. Each kernel is built twice, with SIMD and as a scalar build, and
both builds must give the same answers in the interpreter, the compiler
(eager and lazy) and wasmtime. Skipped when clang with the wasm32 target is
not installed.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess

import pytest
import wasmtime

from pywaz import Runtime

SOURCE = r"""
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

int32_t xs[1024], ys[1024];
uint8_t bytes_a[4096], bytes_b[4096], bytes_out[4096];
float fa[1024], fb[1024], fout[1024];
int16_t pcm[1024];

__attribute__((export_name("xs_ptr"))) int32_t *xs_ptr(void) { return xs; }
__attribute__((export_name("ys_ptr"))) int32_t *ys_ptr(void) { return ys; }
__attribute__((export_name("a_ptr"))) uint8_t *a_ptr(void) { return bytes_a; }
__attribute__((export_name("b_ptr"))) uint8_t *b_ptr(void) { return bytes_b; }
__attribute__((export_name("out_ptr"))) uint8_t *out_ptr(void) { return bytes_out; }
__attribute__((export_name("fa_ptr"))) float *fa_ptr(void) { return fa; }
__attribute__((export_name("fb_ptr"))) float *fb_ptr(void) { return fb; }
__attribute__((export_name("fout_ptr"))) float *fout_ptr(void) { return fout; }
__attribute__((export_name("pcm_ptr"))) int16_t *pcm_ptr(void) { return pcm; }

/* dot product: intrinsics in the SIMD build */
__attribute__((export_name("dot"))) int32_t dot(int n) {
#ifdef __wasm_simd128__
  v128_t acc = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4)
    acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_v128_load(&xs[i]), wasm_v128_load(&ys[i])));
  int32_t s = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
              wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
  for (; i < n; i++) s += xs[i] * ys[i];
  return s;
#else
  int32_t s = 0;
  for (int i = 0; i < n; i++) s += xs[i] * ys[i];
  return s;
#endif
}

/* count of bytes equal to v: eq, bitmask, popcount in the SIMD build */
__attribute__((export_name("count_byte"))) int32_t count_byte(int n, int v) {
  int32_t count = 0;
  int i = 0;
#ifdef __wasm_simd128__
  v128_t needle = wasm_i8x16_splat((int8_t)v);
  for (; i + 16 <= n; i += 16)
    count += __builtin_popcount(wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(&bytes_a[i]), needle)));
#endif
  for (; i < n; i++) count += bytes_a[i] == (uint8_t)v;
  return count;
}

/* saturating byte add, min and average: auto-vectorised loops */
__attribute__((export_name("blend"))) void blend(int n) {
  for (int i = 0; i < n; i++) {
    unsigned s = bytes_a[i] + bytes_b[i];
    uint8_t sat = s > 255 ? 255 : s;
    uint8_t avg = (bytes_a[i] + bytes_b[i] + 1) >> 1;
    bytes_out[i] = (sat ^ avg) + (bytes_a[i] < bytes_b[i] ? bytes_a[i] : bytes_b[i]);
  }
}

/* f32 axpy with a shuffle-free vectorised loop */
__attribute__((export_name("axpy"))) void axpy(int n, float k) {
  for (int i = 0; i < n; i++) fout[i] = k * fa[i] + fb[i];
}

/* i16 samples: abs, widening sum, max */
__attribute__((export_name("pcm_stats"))) int64_t pcm_stats(int n) {
  int32_t sum = 0;
  int32_t peak = 0;
  for (int i = 0; i < n; i++) {
    int32_t x = pcm[i] < 0 ? -pcm[i] : pcm[i];
    sum += x;
    peak = x > peak ? x : peak;
  }
  return ((int64_t)peak << 32) | (uint32_t)sum;
}
"""

_CLANG = shutil.which("clang")
_BUILDS = {"simd": ["-msimd128"], "scalar": ["-fno-vectorize", "-fno-slp-vectorize"]}
_ENGINES = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]


def _build(tmp_path_factory, flags) -> bytes:
    if _CLANG is None:
        pytest.skip("clang is not installed")
    directory = tmp_path_factory.mktemp("simdc")
    source = directory / "kernels.c"
    source.write_text(SOURCE)
    output = directory / "kernels.wasm"
    result = subprocess.run(
        [_CLANG, "--target=wasm32", "-O3", "-nostdlib", "-Wl,--no-entry", *flags, "-o", str(output), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"clang cannot build wasm32: {result.stderr[:200]}")
    return output.read_bytes()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    return {name: _build(tmp_path_factory, flags) for name, flags in _BUILDS.items()}


def test_simd_build_uses_vector_instructions(builds):
    from pywaz.decoder import decode_module

    module = decode_module(builds["simd"])
    ops = {code for body in module.codes for code in body.ops if code >> 8 == 0xFD}
    assert len(ops) >= 10, "clang emitted too few SIMD instructions for the test to mean anything"
    scalar = decode_module(builds["scalar"])
    assert not any(code >> 8 == 0xFD for body in scalar.codes for code in body.ops)


class _Wasmtime:
    def __init__(self, data: bytes):
        self.store = wasmtime.Store()
        self.exports = wasmtime.Instance(self.store, wasmtime.Module(self.store.engine, data), []).exports(self.store)

    def call(self, name, *args):
        return self.exports[name](self.store, *args)

    def write(self, address, data):
        self.exports["memory"].write(self.store, data, address)

    def read(self, address, size):
        return self.exports["memory"].read(self.store, address, address + size)


class _Pywaz:
    def __init__(self, runtime, data: bytes):
        self.exports = runtime.instantiate(data).exports

    def call(self, name, *args):
        return self.exports[name](*args)

    def write(self, address, data):
        self.exports["memory"].write(address, data)

    def read(self, address, size):
        return self.exports["memory"].read(address, size)


def _workload(target) -> list:
    """Run every kernel on fixed pseudo-random data; return all observable results."""
    rng = random.Random(42)
    xs = [rng.randrange(-50000, 50000) for _ in range(1024)]
    ys = [rng.randrange(-50000, 50000) for _ in range(1024)]
    a = bytes(rng.choice([0, 7, 128, 200, 255, rng.getrandbits(8)]) for _ in range(4096))
    b = bytes(rng.getrandbits(8) for _ in range(4096))
    fa = [rng.uniform(-1e3, 1e3) for _ in range(1024)]
    fb = [rng.uniform(-1e3, 1e3) for _ in range(1024)]
    pcm = [rng.choice([-32768, 32767, 0, rng.randrange(-32768, 32768)]) for _ in range(1024)]
    target.write(target.call("xs_ptr"), struct.pack("<1024i", *xs))
    target.write(target.call("ys_ptr"), struct.pack("<1024i", *ys))
    target.write(target.call("a_ptr"), a)
    target.write(target.call("b_ptr"), b)
    target.write(target.call("fa_ptr"), struct.pack("<1024f", *fa))
    target.write(target.call("fb_ptr"), struct.pack("<1024f", *fb))
    target.write(target.call("pcm_ptr"), struct.pack("<1024h", *pcm))
    results = [target.call("dot", n) for n in (0, 3, 4, 257, 1024)]
    results += [target.call("count_byte", n, v) for n, v in ((4096, 0), (4096, 255), (1000, 128), (15, 7))]
    target.call("blend", 4096)
    results.append(target.read(target.call("out_ptr"), 4096))
    target.call("axpy", 1024, 1.5)
    results.append(target.read(target.call("fout_ptr"), 4096))
    results.append(target.call("pcm_stats", 1024))
    return results


@pytest.fixture(scope="module")
def expected(builds):
    return _workload(_Wasmtime(builds["scalar"]))


@pytest.mark.parametrize("build", sorted(_BUILDS))
@pytest.mark.parametrize("engine, mode", _ENGINES, ids=["interpreter", "compiler-eager", "compiler-lazy"])
def test_kernels_agree_everywhere(builds, expected, build, engine, mode):
    with Runtime(engine=engine, compile_mode=mode) as runtime:
        got = _workload(_Pywaz(runtime, builds[build]))
    assert got == expected


def test_wasmtime_simd_build_agrees_with_scalar(builds, expected):
    assert _workload(_Wasmtime(builds["simd"])) == expected
