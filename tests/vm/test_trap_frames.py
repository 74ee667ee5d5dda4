"""Trap stack frames: the same frames, names and byte offsets from every engine and compile mode.

Modules are built with tests/wasmgen.py so each expected offset is computed
from the bytes: the offset of an instruction is where its function's code
starts in the module plus its position in that code.
"""

from __future__ import annotations

import traceback

import pytest

import pywaz
from pywaz import Trap, TrapFrame, TrapKind
from tests.wasmgen import (
    END,
    I32,
    KIND_FUNC,
    call,
    code_section,
    export,
    export_section,
    func_body,
    function_section,
    functype,
    i32_const,
    import_func,
    import_section,
    local_get,
    memarg,
    memory_section,
    memory_type,
    module,
    name_section,
    op,
    type_section,
)

ENGINES = [("interpreter", None), ("compiler", "eager"), ("compiler", "lazy")]
ENGINE_IDS = ["interpreter", "compiler-eager", "compiler-lazy"]


class Code:
    """A function's instructions, remembering where each named one starts within the code."""

    def __init__(self):
        self.data = b""
        self.at: dict[str, int] = {}

    def add(self, data: bytes, label: str | None = None) -> Code:
        if label is not None:
            self.at[label] = len(self.data)
        self.data += data
        return self


def offset_of(data: bytes, code: Code, label: str) -> int:
    """The module byte offset of ``code``'s instruction ``label`` (its code must occur once in ``data``)."""
    start = data.find(code.data)
    assert start > 0 and data.find(code.data, start + 1) < 0, "test code must be unique in the module"
    return start + code.at[label]


# Function index space: 0 is the import env.host, then 1 $inner, 2 $middle,
# 3 outer (exported only), 4 unnamed, 5 boom (exported), 6 $down, 7 mixed, 8 halt (exported).
INNER = Code().add(i32_const(1111)).add(local_get(0)).add(op("i32.div_u"), "div").add(END)
MIDDLE = Code().add(i32_const(2222)).add(op("drop")).add(local_get(0)).add(call(1), "call").add(END)
OUTER = Code().add(local_get(0)).add(call(2), "call").add(END)
UNNAMED = Code().add(i32_const(4444)).add(op("drop")).add(op("unreachable"), "unreachable").add(END)
BOOM = Code().add(i32_const(5555)).add(op("drop")).add(call(4), "call").add(END)
DOWN = Code().add(local_get(0)).add(i32_const(1)).add(op("i32.add")).add(call(6), "call").add(END)
HALT = Code().add(i32_const(8888)).add(op("drop")).add(op("unreachable"), "unreachable").add(END)
# One line of generated code holds the load and the division: the offset says which trapped.
MIXED = (
    Code()
    .add(local_get(0))
    .add(op("i32.load", memarg(2, 7)), "load")
    .add(local_get(1))
    .add(op("i32.div_u"), "div")
    .add(call(3), "call")
    .add(END)
)


def build(module_name: str | None = "frames-test") -> bytes:
    return module(
        type_section(functype([I32], [I32]), functype([], []), functype([I32], []), functype([I32, I32], [I32])),
        import_section(import_func("env", "host", 1)),
        function_section(0, 0, 0, 1, 1, 2, 3, 1),
        memory_section(memory_type(1)),
        export_section(
            export("outer", KIND_FUNC, 3),
            export("boom", KIND_FUNC, 5),
            export("down", KIND_FUNC, 6),
            export("mixed", KIND_FUNC, 7),
            export("halt", KIND_FUNC, 8),
        ),
        code_section(
            func_body([], INNER.data),
            func_body([], MIDDLE.data),
            func_body([], OUTER.data),
            func_body([], UNNAMED.data),
            func_body([], BOOM.data),
            func_body([], DOWN.data),
            func_body([], MIXED.data),
            func_body([], HALT.data),
        ),
        name_section(module_name, {1: "inner", 2: "middle", 6: "down"}),
    )


def run_trap(data: bytes, engine: str, mode: str | None, export_name: str, *args, name=None, **runtime_options):
    """The trap of calling ``export_name``, in a fresh runtime."""
    with pywaz.Runtime(engine, compile_mode=mode or "lazy", **runtime_options) as runtime:
        runtime.new_host_module("env").function("host", lambda: None, params=[], results=[]).instantiate()
        instance = runtime.instantiate_module(runtime.compile_module(data, name=name))
        with pytest.raises(Trap) as info:
            instance.exports[export_name](*args)
        return info.value


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_trap_in_a_nested_call_names_every_frame_at_its_instruction(engine, mode):
    data = build()
    trap = run_trap(data, engine, mode, "outer", 0, name="m.wasm")
    assert trap.kind is TrapKind.INT_DIV_BY_ZERO
    assert trap.frames == [
        TrapFrame(1, "inner", "m.wasm", offset_of(data, INNER, "div")),
        TrapFrame(2, "middle", "m.wasm", offset_of(data, MIDDLE, "call")),
        TrapFrame(3, "outer", "m.wasm", offset_of(data, OUTER, "call")),
    ]
    assert [frame.func_index for frame in trap.frames] == [1, 2, 3]
    assert trap.wasm_stack == ["inner", "middle", "outer"]
    assert str(trap) == "integer divide by zero"  # the spec text, unchanged
    assert trap.format_stack().splitlines() == [
        "wasm trap: integer divide by zero",
        f"  at inner (m.wasm @ 0x{offset_of(data, INNER, 'div'):x})",
        f"  at middle (m.wasm @ 0x{offset_of(data, MIDDLE, 'call'):x})",
        f"  at outer (m.wasm @ 0x{offset_of(data, OUTER, 'call'):x})",
    ]


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_unreachable_in_an_exported_function(engine, mode):
    data = build()
    trap = run_trap(data, engine, mode, "halt", name="m.wasm")
    assert trap.kind is TrapKind.UNREACHABLE
    assert trap.frames == [TrapFrame(8, "halt", "m.wasm", offset_of(data, HALT, "unreachable"))]
    assert trap.format_stack().splitlines() == [
        "wasm trap: unreachable",
        f"  at halt (m.wasm @ 0x{offset_of(data, HALT, 'unreachable'):x})",
    ]


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_unreachable_in_an_unnamed_function_called_by_an_export(engine, mode):
    data = build()
    trap = run_trap(data, engine, mode, "boom")
    assert trap.kind is TrapKind.UNREACHABLE
    # No name section entry and no export: func[N], N counting the import.
    assert trap.frames == [
        TrapFrame(4, "func[4]", "frames-test", offset_of(data, UNNAMED, "unreachable")),
        TrapFrame(5, "boom", "frames-test", offset_of(data, BOOM, "call")),
    ]


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_module_name_comes_from_the_runtime_then_the_name_section(engine, mode):
    given = run_trap(build(), engine, mode, "boom", name="given.wasm")
    from_names = run_trap(build(), engine, mode, "boom")
    anonymous = run_trap(build(module_name=None), engine, mode, "boom")
    assert {frame.module_name for frame in given.frames} == {"given.wasm"}
    assert {frame.module_name for frame in from_names.frames} == {"frames-test"}
    assert {frame.module_name for frame in anonymous.frames} == {"<module>"}


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
@pytest.mark.parametrize("case, args", [("load", (65536 - 8, 1)), ("div", (0, 0))])
def test_the_offset_picks_the_trapping_instruction_among_those_folded_into_one_line(engine, mode, case, args):
    data = build()
    trap = run_trap(data, engine, mode, "mixed", *args)
    assert trap.kind is (TrapKind.OUT_OF_BOUNDS_MEMORY if case == "load" else TrapKind.INT_DIV_BY_ZERO)
    assert trap.frames == [TrapFrame(7, "mixed", "frames-test", offset_of(data, MIXED, case))]


def test_every_engine_reports_the_same_frames():
    data = build()
    for export_name, args in [("outer", (0,)), ("boom", ()), ("halt", ()), ("mixed", (70000, 1)), ("mixed", (0, 0))]:
        traces = {
            label: run_trap(data, engine, mode, export_name, *args).frames
            for label, (engine, mode) in zip(ENGINE_IDS, ENGINES)
        }
        assert traces["interpreter"] == traces["compiler-eager"] == traces["compiler-lazy"], export_name
        assert traces["interpreter"] and all(frame.offset is not None for frame in traces["interpreter"])


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_runaway_recursion_collapses_into_one_line(engine, mode):
    data = build()
    trap = run_trap(data, engine, mode, "down", 0, name="m.wasm", max_call_depth=300)
    assert trap.kind is TrapKind.CALL_STACK_EXHAUSTED
    recursive = TrapFrame(6, "down", "m.wasm", offset_of(data, DOWN, "call"))
    # Innermost: the call that could not be made. The interpreter counts wasm
    # calls exactly; compiled code stops at Python's recursion limit, set from
    # max_call_depth plus a margin, so its count is at least as deep.
    assert trap.frames[0] == recursive and set(trap.frames) == {recursive}
    assert len(trap.frames) == 300 if engine == "interpreter" else len(trap.frames) >= 300
    lines = trap.format_stack().splitlines()
    assert lines == [
        "wasm trap: call stack exhausted",
        f"  at down (m.wasm @ 0x{recursive.offset:x})",
        f"  ... {len(trap.frames) - 1:,} more frames of down",
    ]


def test_collapsing_keeps_short_runs_and_folds_cycles():
    f = TrapFrame(1, "f", "m", 0x10)
    g = TrapFrame(2, "g", "m", 0x20)
    h = TrapFrame(3, "h", "m", 0x30)
    assert pywaz.errors.collapse_frames([f, f, f, h]) == ["at f (m @ 0x10)"] * 3 + ["at h (m @ 0x30)"]
    assert pywaz.errors.collapse_frames([f] * 1001 + [h]) == [
        "at f (m @ 0x10)",
        "... 1,000 more frames of f",
        "at h (m @ 0x30)",
    ]
    assert pywaz.errors.collapse_frames([h] + [f, g] * 500) == [
        "at h (m @ 0x30)",
        "at f (m @ 0x10)",
        "at g (m @ 0x20)",
        "... 998 more frames of f, g",
    ]
    assert str(TrapFrame(0, "f", "m", None)) == "f (m)"


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_frames_survive_a_disk_cache_round_trip(engine, mode, tmp_path):
    data = build()

    def trap_through_cache():
        with pywaz.CompilationCache(directory=tmp_path / "cache") as cache:
            with pywaz.Runtime(engine, compile_mode=mode or "lazy", cache=cache) as runtime:
                runtime.new_host_module("env").function("host", lambda: None, params=[], results=[]).instantiate()
                instance = runtime.instantiate_module(runtime.compile_module(data, name="m.wasm"))
                with pytest.raises(Trap) as info:
                    instance.exports["outer"](0)
                return info.value, runtime.stats()

    fresh, first = trap_through_cache()
    cached, second = trap_through_cache()  # a new cache object: nothing in memory, the entry comes from disk
    assert first["disk_hits"] == 0 and second["disk_hits"] == 1
    assert cached.frames == fresh.frames
    assert [frame.offset for frame in cached.frames] == [
        offset_of(data, INNER, "div"),
        offset_of(data, MIDDLE, "call"),
        offset_of(data, OUTER, "call"),
    ]


def test_compiled_code_without_a_line_table_gives_frames_without_offsets():
    from pywaz.compiler import linetable

    data = build()
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        runtime.new_host_module("env").function("host", lambda: None, params=[], results=[]).instantiate()
        compiled = runtime.compile_module(data, name="m.wasm")
        functions = compiled.artifact.functions
        for i, function in enumerate(functions):
            assert linetable.table_of(function.code) is not None
            stripped = function.code.replace(co_consts=function.code.co_consts[:-1])
            assert linetable.table_of(stripped) is None
            functions[i] = pywaz._records.replace(function, code=stripped)
        instance = runtime.instantiate_module(compiled)
        with pytest.raises(Trap) as info:
            instance.exports["outer"](0)
    assert info.value.frames == [
        TrapFrame(1, "inner", "m.wasm", None),
        TrapFrame(2, "middle", "m.wasm", None),
        TrapFrame(3, "outer", "m.wasm", None),
    ]
    assert "  at inner (m.wasm)" in info.value.format_stack().splitlines()


def test_an_artifact_of_the_previous_format_is_refused():
    from pywaz.compiler.engine import CompilerEngine

    engine = CompilerEngine()
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        runtime.new_host_module("env").function("host", lambda: None, params=[], results=[]).instantiate()
        payload = engine.serialize(runtime.compile_module(build()).artifact)
    assert engine.deserialize(payload).compiled_count() == 8
    old = pywaz._records.replace(payload, metadata={**payload.metadata, "format": 2})
    with pytest.raises(pywaz.PywazError, match="not a compiler artifact of this format"):
        engine.deserialize(old)


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_an_uncaught_trap_shows_its_wasm_frames_in_the_python_traceback(engine, mode):
    data = build()
    trap = run_trap(data, engine, mode, "outer", 0, name="m.wasm")
    text = "".join(traceback.format_exception(trap))
    assert "wasm stack (innermost first):" in text
    assert f"  at inner (m.wasm @ 0x{offset_of(data, INNER, 'div'):x})" in text
    assert text.count("wasm stack (innermost first):") == 1


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_frames_through_a_host_function_that_calls_back_into_wasm(engine, mode):
    """wasm -> host -> wasm: the trap's frames hold both wasm parts, and one note lists them."""
    caller = Code().add(i32_const(7777)).add(op("drop")).add(call(0), "call").add(END)
    data = module(
        type_section(functype([], [])),
        import_section(import_func("env", "reenter", 0)),
        function_section(0, 0),
        export_section(export("start", KIND_FUNC, 1), export("boom", KIND_FUNC, 2)),
        code_section(func_body([], caller.data), func_body([], UNNAMED.data)),
    )
    with pywaz.Runtime(engine, compile_mode=mode or "lazy") as runtime:
        exports = {}
        runtime.new_host_module("env").function("reenter", lambda: exports["boom"](), params=[], results=[]).instantiate()
        instance = runtime.instantiate_module(runtime.compile_module(data, name="r.wasm"))
        exports["boom"] = instance.exports["boom"]
        with pytest.raises(Trap) as info:
            instance.exports["start"]()
    trap = info.value
    assert trap.frames == [
        TrapFrame(2, "boom", "r.wasm", offset_of(data, UNNAMED, "unreachable")),
        TrapFrame(1, "start", "r.wasm", offset_of(data, caller, "call")),
    ]
    assert len(trap.__notes__) == 1 and "at start (r.wasm" in trap.__notes__[0]


@pytest.mark.parametrize("engine, mode", ENGINES, ids=ENGINE_IDS)
def test_an_interrupted_call_names_the_frames_it_stopped_in(engine, mode):
    spin = Code().add(op("loop", b"\x40")).add(local_get(0)).add(op("drop")).add(op("br", b"\x00")).add(END).add(END)
    outer = Code().add(i32_const(0)).add(call(0), "call").add(END)
    data = module(
        type_section(functype([I32], []), functype([], [])),
        function_section(0, 1),
        export_section(export("outer", KIND_FUNC, 1)),
        code_section(func_body([], spin.data), func_body([], outer.data)),
        name_section(None, {0: "spin"}),
    )
    with pywaz.Runtime(engine, compile_mode=mode or "lazy") as runtime:
        instance = runtime.instantiate_module(runtime.compile_module(data, name="i.wasm"))
        with pytest.raises(Trap) as info:
            instance.exports["outer"](timeout=0.05)
    trap = info.value
    assert trap.kind is TrapKind.INTERRUPTED
    assert [(f.func_name, f.module_name) for f in trap.frames] == [("spin", "i.wasm"), ("outer", "i.wasm")]
    assert trap.frames[1].offset == offset_of(data, outer, "call")
    # Where in the loop the interruption landed: any of its instructions (the
    # compiler knows only lines that can trap or call, so it may not say).
    start = data.find(spin.data)
    inner = trap.frames[0].offset
    assert (inner is None and engine == "compiler") or start <= inner < start + len(spin.data)


def test_a_disk_entry_of_the_previous_artifact_format_is_a_miss(tmp_path, monkeypatch):
    from pywaz.compiler import artifact

    data = build()

    def trap_and_stats():
        with pywaz.CompilationCache(directory=tmp_path / "cache") as cache:
            with pywaz.Runtime("compiler", compile_mode="eager", cache=cache) as runtime:
                runtime.new_host_module("env").function("host", lambda: None, params=[], results=[]).instantiate()
                instance = runtime.instantiate_module(runtime.compile_module(data, name="m.wasm"))
                with pytest.raises(Trap) as info:
                    instance.exports["outer"](0)
            return info.value.frames, cache.stats()

    with monkeypatch.context() as patch:
        patch.setattr(artifact, "ARTIFACT_FORMAT", 2)  # an entry as the previous format wrote it
        trap_and_stats()
    frames, stats = trap_and_stats()
    assert stats["disk_hits"] == 0 and stats["invalid_entries"] == 1 and stats["compilations"] == 1
    assert frames[0] == TrapFrame(1, "inner", "m.wasm", offset_of(data, INNER, "div"))
    frames, stats = trap_and_stats()  # the entry was rewritten in the current format
    assert stats["disk_hits"] == 1 and stats["compilations"] == 0
    assert frames[0].offset == offset_of(data, INNER, "div")


def test_a_module_name_must_be_a_string():
    with pywaz.Runtime("interpreter") as runtime:
        with pytest.raises(TypeError, match="module name must be a str or None"):
            runtime.compile_module(build(), name=b"m.wasm")
