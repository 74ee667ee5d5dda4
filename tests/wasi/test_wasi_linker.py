"""WASI defined in the Runtime before instantiation: each call uses its caller's ``memory`` export.

A start function can already print; one environment serves several
instances, each through its own memory; functions that take no pointer work
without a memory export and the others trap with wasmtime's words; a second
``wasi_snapshot_preview1`` module in one runtime is refused.
"""

from __future__ import annotations

import io

import pytest

import pywaz
from pywaz import DuplicateModuleError, ExitError, LinkError, Trap, TrapKind
from pywaz.ir import VALTYPE_NAMES
from pywaz.text import wat2wasm
from pywaz.wasi import MEMORYLESS, MODULE_NAME, SIGNATURES, Wasi, WasiConfig, link, run_command

wasmtime = pytest.importorskip("wasmtime")

ENGINES = ["interpreter", "compiler"]

FD_WRITE = '(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))'
PROC_EXIT = '(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))'


def printer(text: str, memory_name: str = "memory", start: bool = True) -> bytes:
    """A module whose start function (or ``print``) writes ``text`` to fd 1 with one fd_write."""
    escaped = "".join(f"\\{byte:02x}" for byte in text.encode())
    start_field = "(start $print)" if start else ""
    return wat2wasm(f"""(module {FD_WRITE}
      (memory (export "{memory_name}") 1)
      (data (i32.const 0) "\\10\\00\\00\\00\\{len(text.encode()):02x}\\00\\00\\00")
      (data (i32.const 16) "{escaped}")
      (func $print (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
      (export "print" (func $print))
      {start_field})""")


@pytest.mark.parametrize("engine", ENGINES)
def test_start_function_writes_through_wasi(engine):
    out = io.BytesIO()
    with pywaz.Runtime(engine) as runtime, Wasi(WasiConfig(stdout=out)) as wasi:
        link(wasi, runtime)
        instance = runtime.instantiate(printer("from start\n"))
        assert out.getvalue() == b"from start\n"
        instance.exports["print"]()
        assert out.getvalue() == b"from start\nfrom start\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_one_environment_serves_each_instance_through_its_own_memory(engine):
    out = io.BytesIO()
    with pywaz.Runtime(engine) as runtime, Wasi(WasiConfig(stdout=out)) as wasi:
        link(wasi, runtime)
        first = runtime.instantiate(printer("first\n", start=False))
        second = runtime.instantiate(printer("second!\n", start=False))
        second.exports["print"]()
        first.exports["print"]()
        second.exports["print"]()
    assert out.getvalue() == b"second!\nfirst\nsecond!\n"


def test_proc_exit_in_a_start_function_is_the_exit_status():
    wasm = wat2wasm(f'(module {PROC_EXIT} (func $s (call $proc_exit (i32.const 4))) (start $s) '
                             '(func (export "_start") unreachable))')
    with pywaz.Runtime() as runtime:
        assert run_command(runtime, wasm) == 4
        with Wasi() as wasi:
            link(wasi, runtime)
            with pytest.raises(ExitError) as info:
                runtime.instantiate(wasm)
            assert info.value.code == 4


def _calls(name: str, memory: str = "") -> bytes:
    """A module without a ``memory`` export (unless ``memory`` says otherwise) calling ``name`` with zeros."""
    params, results = SIGNATURES[name]
    signature = "".join(f" (param {VALTYPE_NAMES[t]})" for t in params)
    signature += "".join(f" (result {VALTYPE_NAMES[t]})" for t in results)
    zeros = " ".join(f"({VALTYPE_NAMES[t]}.const 0)" for t in params)
    drop = "drop" if results else ""
    return wat2wasm(f'(module (import "{MODULE_NAME}" "{name}" (func $f{signature})) {memory} '
                             f'(func (export "go") (call $f {zeros}) {drop}))')


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_only_calls_that_take_pointers_need_a_memory_export(name):
    with pywaz.Runtime() as runtime, Wasi() as wasi:
        link(wasi, runtime)
        go = runtime.instantiate(_calls(name, "(memory 1)")).exports["go"]
        if name in MEMORYLESS:
            try:
                go()
            except ExitError as exit_:
                assert name == "proc_exit" and exit_.code == 0
        else:
            with pytest.raises(Trap) as info:
                go()
            assert info.value.kind is TrapKind.HOST_ERROR
            assert str(info.value) == (f"host function error: {MODULE_NAME}.{name}: missing required memory export "
                                       '(the calling module must export its memory as "memory")')


def test_memory_exported_under_another_name_can_be_bound():
    out = io.BytesIO()
    with pywaz.Runtime() as runtime, Wasi(WasiConfig(stdout=out)) as wasi:
        link(wasi, runtime)
        instance = runtime.instantiate(printer("bound\n", memory_name="mem", start=False))
        with pytest.raises(Trap, match="missing required memory export"):
            instance.exports["print"]()
        wasi.bind(instance.exports["mem"])
        instance.exports["print"]()
    assert out.getvalue() == b"bound\n"


def test_called_from_python_without_a_caller_traps_clearly():
    with pywaz.Runtime() as runtime, Wasi() as wasi:
        host = link(wasi, runtime)
        with pytest.raises(Trap, match="fd_write: missing required memory export"):
            host.exports["fd_write"](1, 0, 0, 8)
        with pytest.raises(ExitError):
            host.exports["proc_exit"](0)


def test_a_second_wasi_module_is_refused():
    with pywaz.Runtime() as runtime, Wasi() as wasi, Wasi() as other:
        host = link(wasi, runtime)
        with pytest.raises(DuplicateModuleError, match=f"'{MODULE_NAME}' is already registered") as info:
            link(other, runtime)
        assert info.value.name == MODULE_NAME
        with pytest.raises(DuplicateModuleError):
            run_command(runtime, printer("x"), other)
        with pytest.raises(DuplicateModuleError):
            runtime.new_host_module(MODULE_NAME).function("sched_yield", lambda: 0, params=[], results=["i32"]) \
                .instantiate()
        host.close()
        link(other, runtime)  # the name is free again


def test_run_command_reports_a_link_error_before_a_missing_entry_point():
    wasm = wat2wasm(f'(module (import "{MODULE_NAME}" "no_such_call" (func)))')
    with pywaz.Runtime() as runtime, pytest.raises(LinkError, match=f'unknown import "{MODULE_NAME}" "no_such_call"'):
        run_command(runtime, wasm)


def test_imports_without_bind_still_serve_memoryless_calls():
    with Wasi() as wasi:
        functions = wasi.imports()
        assert functions["sched_yield"][2]() == 0
        with pytest.raises(ExitError):
            functions["proc_exit"][2](2)
        with pytest.raises(Trap, match="before Wasi.bind"):
            functions["fd_write"][2](1, 0, 0, 8)


def _wasmtime_outcome(wasm: bytes) -> str:
    """What wasmtime does with ``go``: "ok", "exit N" or the trap's cause."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    try:
        linker.instantiate(store, wasmtime.Module(engine, wasm)).exports(store)["go"](store)
    except wasmtime.ExitTrap as exit_:
        return f"exit {exit_.code}"
    except wasmtime.WasmtimeError as error:
        return str(error).strip().splitlines()[-1].strip()
    return "ok"


def test_missing_memory_matches_wasmtime_except_for_memoryless_calls():
    """wasmtime requires the export for every call; pywaz only where a pointer is taken (as wazero)."""
    write = _calls("fd_write", "(memory 1)")
    assert _wasmtime_outcome(write) == "missing required memory export"
    with pywaz.Runtime() as runtime, Wasi() as wasi:
        link(wasi, runtime)
        with pytest.raises(Trap, match="missing required memory export"):
            runtime.instantiate(write).exports["go"]()
    exits = _calls("proc_exit", "(memory 1)")
    assert _wasmtime_outcome(exits) == "missing required memory export"  # still so in the pinned wasmtime
    with pywaz.Runtime() as runtime:
        assert run_command(runtime, exits, entry="go") == 0
