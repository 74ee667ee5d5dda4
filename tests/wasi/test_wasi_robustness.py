"""Random calls never escape as Python exceptions: each returns an errno or traps."""

from __future__ import annotations

import random

import pytest
from _wasiguest import Guest, new_memory

from pywaz import ExitError, Trap
from pywaz.ir import I64
from pywaz.wasi import SIGNATURES, Wasi, WasiConfig
from pywaz.wasi.codes import ERRNO_NAMES

I32_VALUES = [0, 1, 2, 3, 4, 5, 7, 8, 16, 24, 100, 4096, 65535, 65536, 2**31, 2**32 - 1]
I64_VALUES = [0, 1, 2, 10, 4096, 2**31, 2**63 - 1, 2**63, 2**64 - 1]
SKIPPED = {"poll_oneoff"}  # a random clock subscription may legitimately sleep for years


@pytest.mark.parametrize("policy", ["trap", "errno"])
def test_random_calls_return_errno_or_trap(sandbox, policy):
    rng = random.Random(1234)
    wasi = Wasi(WasiConfig(args=["a", "b"], env={"K": "V"}, stdin=b"input",
                           preopens=[("/sandbox", sandbox)], memory_fault=policy))
    guest = Guest(wasi, new_memory())
    names = sorted(set(SIGNATURES) - SKIPPED)
    # Meaningful strings where the pointer values above land, so paths sometimes resolve.
    for ptr, text in ((0, b"sub/inner.txt"), (16, b"hello.txt"), (100, b"newdir/x"), (4096, b"sub")):
        guest.data[ptr : ptr + len(text)] = text
    outcomes = {"errno": 0, "trap": 0, "exit": 0}
    successes = 0
    try:
        for _ in range(3000):
            if rng.random() < 0.05:
                guest.data[:] = rng.randbytes(len(guest.data))
            name = rng.choice(names)
            params, _ = SIGNATURES[name]
            args = [rng.choice(I64_VALUES if t == I64 else I32_VALUES) for t in params]
            try:
                result = guest(name, *args)
            except Trap:
                outcomes["trap"] += 1
                continue
            except ExitError:
                outcomes["exit"] += 1
                continue
            assert isinstance(result, int) and result in ERRNO_NAMES, (name, args, result)
            outcomes["errno"] += 1
            successes += result == 0
    finally:
        wasi.close()
    assert outcomes["errno"] > 1000 and successes > 100
    if policy == "errno":
        assert outcomes["trap"] < outcomes["errno"]
    assert (sandbox.parent / "secret.txt").read_bytes() == b"TOP SECRET"
