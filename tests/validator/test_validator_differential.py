"""Differential test: pywaz's validator against wasmtime's on mutated function bodies.

Takes spec-suite modules, rewrites one or two instructions in place (another opcode with
the same immediate shape, a nudged local/label/function index, a different alignment),
and checks that pywaz and wasmtime (configured for exactly the Wasm 2.0 features) agree
on validity whenever pywaz's decoder accepts the bytes. Mutations stay inside function
bodies, so wasmtime's always-on post-2.0 constant-expression extension never matters.
"""

import collections
import random

import pytest
from validator_helpers import MISSING, SUITE, decode_module, validate

from pywaz.errors import DecodeError, ValidationError
from pywaz.features import Features

WASM2 = Features.wasm2()  # wasmtime runs with every post-2.0 proposal off, below
from pywaz.opcodes import IMMEDIATES, split_opcode

wasmtime = pytest.importorskip("wasmtime")

_POST_2_0_FEATURES = (
    "wasm_multi_memory",
    "wasm_memory64",
    "wasm_relaxed_simd",
    "wasm_tail_call",
    "wasm_gc",
    "wasm_function_references",
    "wasm_exceptions",
    "wasm_threads",
    "wasm_wide_arithmetic",
    "wasm_custom_page_sizes",
    "wasm_stack_switching",
    "wasm_component_model",
)
_INDEX_KINDS = ("local", "global", "label", "func", "table", "elem", "data")
_CASES = 400


def _engine():
    config = wasmtime.Config()
    for feature in _POST_2_0_FEATURES:
        if hasattr(config, feature):
            setattr(config, feature, False)
    return wasmtime.Engine(config)


def _opcodes_by_immediate():
    groups = collections.defaultdict(list)
    for code, kind in IMMEDIATES.items():
        prefix, sub = split_opcode(code)
        if prefix is None:
            groups[(0, kind)].append(code)
        elif sub < 0x80:  # sub-opcode fits one LEB byte: an in-place swap (never relaxed SIMD's 0x100+)
            groups[(prefix, kind)].append(sub)
    return groups


def _mutate(rng, data: bytearray, body, groups) -> None:
    pc = rng.randrange(len(body.ops))
    offset = body.offsets[pc]
    op = body.ops[pc]
    kind = IMMEDIATES[op]
    prefix, _ = split_opcode(op)
    if prefix is not None:
        if data[offset + 1] < 0x80:
            data[offset + 1] = rng.choice(groups[(prefix, kind)])
        return
    roll = rng.random()
    if roll < 0.6:
        data[offset] = rng.choice(groups[(0, kind)])
    elif roll < 0.8 and kind in _INDEX_KINDS and data[offset + 1] < 0x7F:
        data[offset + 1] = max(0, min(0x7F, data[offset + 1] + rng.choice((-1, 1, 2))))
    elif kind == "memarg" and data[offset + 1] < 0x80:
        data[offset + 1] = rng.randrange(6)
    else:
        data[offset] = rng.choice(groups[(0, "-")])


@pytest.mark.skipif(SUITE is None, reason=MISSING)
def test_validity_agrees_with_wasmtime_on_mutated_bodies():
    engine = _engine()
    groups = _opcodes_by_immediate()
    candidates = []
    for path in sorted(SUITE.glob("*/*.wasm")):
        data = path.read_bytes()
        try:
            module = decode_module(data, WASM2)
        except DecodeError:
            continue
        bodies = [body for body in module.codes if len(body.ops) > 1]
        if bodies:
            candidates.append((path.name, data, bodies))
    assert candidates

    rng = random.Random(20260101)
    disagreements = []
    compared = collections.Counter()
    for _ in range(_CASES):
        name, original, bodies = rng.choice(candidates)
        data = bytearray(original)
        for _ in range(rng.randint(1, 2)):
            _mutate(rng, data, rng.choice(bodies), groups)
        data = bytes(data)
        try:
            module = decode_module(data, WASM2)
        except DecodeError:
            continue
        try:
            validate(module, features=WASM2)
            ours, detail = True, ""
        except ValidationError as error:
            ours, detail = False, str(error)
        try:
            wasmtime.Module.validate(engine, data)
            theirs = True
        except wasmtime.WasmtimeError:
            theirs = False
        compared[ours] += 1
        if ours != theirs:
            disagreements.append(f"{name} mutated to {data.hex()}: pywaz {ours} {detail}, wasmtime {theirs}")
    # Both outcomes must be exercised, or the comparison proves little.
    assert compared[True] > 20 and compared[False] > 20, compared
    assert not disagreements, "\n".join(disagreements[:10])
