"""The one-pass body check and lazy bodies (pywaz/validator/_prevalidate.py, _lazy.py, decoder/lazybody.py).

The check may only ever answer "well formed and valid" for a body the ordinary
decoder and validator accept: every test here compares the default
``decode_module`` (lazy bodies) with ``decode_module(lazy_bodies=False)`` (every
body decoded and validated the ordinary way), outcome for outcome, error for
error (type, message, offset, function index).
"""

from __future__ import annotations

import pickle
import random
import threading
from pathlib import Path

import pytest

from pywaz.decoder import decode_module
from pywaz.decoder.lazybody import LazyFunctionBody
from pywaz.errors import PywazError
from pywaz.ir import F64, FunctionBody, FunctionInfo, I32, I64
from pywaz.validator import validate
from pywaz.validator._lazy import LazyFunctionInfo
from tests.wasmgen import (
    END,
    code_section,
    func_body,
    function_section,
    global_entry,
    global_section,
    functype,
    memory_section,
    memory_type,
    module,
    type_section,
)

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = sorted((REPO / "tests" / "programs" / "wasm").glob("*.wasm"))
SPEC_JSON = REPO.parent / "shared" / "wasm-testsuite" / "v3-json"


def _outcome(data: bytes, lazy: bool):
    """("ok", bodies, infos) or ("error", type, message, offset, func_index)."""
    try:
        validated = validate(decode_module(data, lazy_bodies=lazy))
    except PywazError as error:
        return ("error", type(error).__name__, error.message, getattr(error, "offset", None),
                getattr(error, "func_index", None))
    return ("ok", validated)


def _assert_same(data: bytes) -> int:
    """Both modes agree on ``data``; returns how many bodies were lazy."""
    lazy = _outcome(data, True)
    eager = _outcome(data, False)
    assert lazy[0] == eager[0], (lazy, eager)
    if lazy[0] == "error":
        assert lazy == eager
        return 0
    lazy_module, eager_module = lazy[1], eager[1]
    count = 0
    for lazy_info, eager_info in zip(lazy_module.functions, eager_module.functions, strict=True):
        if type(lazy_info.body) is LazyFunctionBody:
            count += 1
            assert type(lazy_info) is LazyFunctionInfo
        assert lazy_info.body.ops == eager_info.body.ops
        assert lazy_info.body.imms == eager_info.body.imms
        assert list(lazy_info.body.offsets) == list(eager_info.body.offsets)
        assert (lazy_info.body.locals, lazy_info.body.offset, lazy_info.body.end) == (
            eager_info.body.locals, eager_info.body.offset, eager_info.body.end)
        assert lazy_info.blocks == eager_info.blocks
        assert lazy_info.max_height == eager_info.max_height
        assert lazy_info.local_types == eager_info.local_types
        assert lazy_info == eager_info and eager_info == lazy_info
    return count


def _code_section_span(data: bytes) -> tuple[int, int]:
    sizes = decode_module(data, lazy_bodies=False).section_sizes
    for section_id, start, size in sizes:
        if section_id == 10:
            return start, start + size
    raise AssertionError("no code section")


def _numeric_module(*bodies: bytes, params=(), results=(), memory: bool = True) -> bytes:
    return module(
        type_section(functype(params, results)),
        function_section(*([0] * len(bodies))),
        *([memory_section(memory_type(1))] if memory else []),
        code_section(*bodies),
    )


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_c_programs_are_lazy_and_equal(path):
    data = path.read_bytes()
    lazy_count = _assert_same(data)
    assert lazy_count > 0  # wasi-libc code is what the one-pass check is for


def test_spec_corpus_agrees_with_the_ordinary_path():
    """Every module of the 3.0 suite (valid, invalid, malformed): same result, same error."""
    files = sorted(SPEC_JSON.glob("*/*.wasm"))
    if not files:
        pytest.skip(f"{SPEC_JSON} is absent")
    lazy_total = 0
    for path in files:
        lazy_total += _assert_same(path.read_bytes())
    assert lazy_total > 1000


@pytest.mark.parametrize("path", [p for p in PROGRAMS if p.stem in ("hello", "wc")], ids=lambda p: p.stem)
def test_mutated_code_sections_agree(path):
    """Random byte changes inside the code section: errors identical in both modes."""
    data = path.read_bytes()
    start, end = _code_section_span(data)
    rng = random.Random(f"prevalidate-{path.stem}")
    errors = 0
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 3))):
            mutated[rng.randrange(start, end)] = rng.choice((rng.randrange(256), 0x0B, 0x05, 0x1A, 0x1B, 0x0C))
        if _outcome(bytes(mutated), True)[0] == "error":
            errors += 1
        _assert_same(bytes(mutated))
    assert errors > 50  # the mutations do reach the error paths


# Hand-written bodies around the check's own tricks: frame markers, dead code, if without else.
_CASES = {
    "select across a block boundary": (I32, b"\x41\x01\x41\x02\x02\x40\x41\x00\x1b\x1a\x0b\x1a\x1a" + END),
    "select over two block markers": ((), b"\x02\x40\x02\x40\x41\x00\x1b\x1a\x0b\x0b" + END),
    "drop below its block": ((), b"\x41\x01\x02\x40\x1a\x0b\x1a" + END),
    "binary op across a block": ((), b"\x41\x01\x02\x40\x41\x02\x6a\x1a\x0b\x1a" + END),
    "dead code after br": ((), b"\x02\x40\x0c\x00\x41\x01\x1a\x0b" + END),
    "unreachable then end with a result": (I32, b"\x00" + END),
    "if without else, result": (I32, b"\x41\x01\x04\x7f\x41\x02\x0b" + END),
    "if else, result": (I32, b"\x41\x01\x04\x7f\x41\x02\x05\x41\x03\x0b" + END),
    "else in a block": ((), b"\x02\x40\x05\x0b" + END),
    "br to a missing label": ((), b"\x0c\x01" + END),
    "wrong function result": (I64, b"\x41\x01" + END),
    "extra value at the end": ((), b"\x41\x01" + END),
    "store needs a memory address": ((), b"\x42\x00\x41\x00\x37\x03\x00" + END),
    "load past natural alignment": ((), b"\x41\x00\x28\x03\x00\x1a" + END),
    "long i64.const": ((), b"\x42\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f\x1a" + END),
    "over-long i32.const": ((), b"\x41\x80\x80\x80\x80\x80\x00\x1a" + END),
    "f64.const": (F64, b"\x44" + bytes(8) + END),
    "truncated f64.const": (F64, b"\x44" + bytes(3) + END),
    "memory.fill": ((), b"\x41\x00\x41\x00\x41\x00\xfc\x0b\x00" + END),
    "memory.copy wrong operand": ((), b"\x41\x00\x42\x00\x41\x00\xfc\x0a\x00\x00" + END),
    "body runs past its size": ((), b"\x01\x01"),
}


@pytest.mark.parametrize("name", sorted(_CASES))
@pytest.mark.parametrize("memory", [True, False])
def test_hand_written_bodies_agree(name, memory):
    result, code = _CASES[name]
    results = () if result == () else (result,)
    _assert_same(_numeric_module(func_body((), code), results=results, memory=memory))


def test_the_check_accepts_and_the_lists_wait():
    data = _numeric_module(func_body(((1, I32),), b"\x20\x00\x41\x01\x6a\x21\x00" + END))
    validated = validate(decode_module(data))
    body = validated.module.codes[0]
    assert type(body) is LazyFunctionBody and not body.decoded
    info = validated.functions[0]
    assert info.max_height == 2 and body.decoded
    assert body.ops == [0x20, 0x41, 0x6A, 0x21, 0x0B]


def test_eager_mode_has_no_lazy_bodies():
    data = PROGRAMS[0].read_bytes()
    assert not any(type(body) is LazyFunctionBody for body in decode_module(data, lazy_bodies=False).codes)


def test_pickle_and_replace_give_plain_records():
    data = _numeric_module(func_body((), b"\x41\x01\x1a" + END))
    validated = validate(decode_module(data))
    body, info = validated.module.codes[0], validated.functions[0]
    copied = pickle.loads(pickle.dumps(body))
    assert type(copied) is FunctionBody and copied == body
    copied_info = pickle.loads(pickle.dumps(info))
    assert type(copied_info) is FunctionInfo and copied_info == info


def test_a_module_with_other_sections_is_validated_again():
    """A verdict holds only for the sections it was made with: a copy with another globals tuple is checked in full."""
    from pywaz._records import replace

    data = module(
        type_section(functype()),
        function_section(0),
        global_section(global_entry(I32, False, b"\x41\x07" + END)),
        code_section(func_body((), b"\x23\x00\x1a" + END)),
    )
    decoded = decode_module(data)
    assert type(validate(decoded).functions[0]) is LazyFunctionInfo
    changed = replace(decoded, globals_=tuple(list(decoded.globals_)))
    info = validate(changed).functions[0]
    assert type(info) is FunctionInfo and info.max_height == 1


def test_threads_materialize_once():
    data = PROGRAMS[0].read_bytes()
    validated = validate(decode_module(data))
    lazy = [info for info in validated.functions if type(info) is LazyFunctionInfo][:50]
    assert lazy
    barrier = threading.Barrier(8)
    seen: list[list] = [[] for _ in range(8)]

    def worker(slot: int) -> None:
        barrier.wait()
        for info in lazy:
            seen[slot].append((id(info.body.ops), id(info.body.imms), id(info.blocks), info.max_height))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(entry == seen[0] for entry in seen)


def _jobs_of(data: bytes):
    """The one-pass check's inputs for every body of ``data`` with numeric types."""
    from pywaz.validator._prevalidate import NUMERIC, FastContext

    decoded = decode_module(data, lazy_bodies=False)
    context = FastContext.build(decoded.types, decoded.imports, decoded.functions, decoded.tables,
                                decoded.memories, decoded.globals_)
    imported = len(context.func_sigs) - len(decoded.functions)
    jobs = []
    for index, body in enumerate(decoded.codes):
        sig = context.func_sigs[imported + index]
        if sig is not None and NUMERIC.issuperset(body.locals):
            jobs.append((body.offsets[0], body.end, tuple(sig[0]) + body.locals, sig[1]))
    return context, jobs


def test_forked_check_agrees(monkeypatch):
    import os

    from pywaz.validator import _prevalidate

    data = max(PROGRAMS, key=lambda p: p.stat().st_size).read_bytes()
    context, jobs = _jobs_of(data)
    alone = _prevalidate.check_many(data, jobs, context, fork=False)
    monkeypatch.setattr(_prevalidate, "FORK_THRESHOLD", 0)
    if not _prevalidate._fork_allowed(jobs):
        pytest.skip("forking is not allowed here (platform, threads or a single CPU)")
    forks = []
    real_fork = os.fork

    def counting_fork():
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counting_fork)
    assert _prevalidate.check_many(data, jobs, context) == alone
    assert forks == [1]
    assert any(alone) and len(alone) > 10


def test_a_failing_child_is_not_trusted(monkeypatch):
    import os

    from pywaz.validator import _prevalidate

    data = max(PROGRAMS, key=lambda p: p.stat().st_size).read_bytes()
    context, jobs = _jobs_of(data)
    alone = _prevalidate.check_many(data, jobs, context, fork=False)
    monkeypatch.setattr(_prevalidate, "FORK_THRESHOLD", 0)
    if not _prevalidate._fork_allowed(jobs):
        pytest.skip("forking is not allowed here (platform, threads or a single CPU)")
    parent = os.getpid()
    real_check = _prevalidate.check_body

    def check_in_parent_only(*args):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real_check(*args)

    monkeypatch.setattr(_prevalidate, "check_body", check_in_parent_only)
    assert _prevalidate.check_many(data, jobs, context) == alone


def test_no_fork_switch(monkeypatch):
    from pywaz.validator import _prevalidate

    monkeypatch.setattr(_prevalidate, "FORK_THRESHOLD", 0)
    monkeypatch.setenv("PYWAZ_DECODE_FORK", "0")
    _context, jobs = _jobs_of(PROGRAMS[0].read_bytes())
    assert not _prevalidate._fork_allowed(jobs)
