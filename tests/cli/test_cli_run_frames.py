"""``pywaz run`` prints a trap's wasm frames: file name, function names, byte offsets, recursion collapsed."""

from __future__ import annotations

import pytest

from tests.wasmgen import (
    END,
    I32,
    KIND_FUNC,
    KIND_MEMORY,
    call,
    code_section,
    export,
    export_section,
    func_body,
    function_section,
    functype,
    i32_const,
    local_get,
    memory_section,
    memory_type,
    module,
    name_section,
    op,
    type_section,
)

ENGINES = ["compiler", "interpreter"]

# 0 $fail: unreachable; 1 $recurse: calls itself; 2 _start: calls 0 or 1.
FAIL = i32_const(1234) + op("drop")
FAIL_AT = len(FAIL)
FAIL += op("unreachable") + END
RECURSE = local_get(0) + i32_const(1) + op("i32.add")
RECURSE_AT = len(RECURSE)
RECURSE += call(1) + END


def start(target: int) -> tuple[bytes, int]:
    code = (i32_const(0) if target == 1 else b"") + i32_const(4321) + op("drop")
    at = len(code)
    return code + call(target) + (op("drop") if target == 1 else b"") + END, at


def command(path, target: int):
    """Write a command module whose ``_start`` calls function ``target``; return the offsets to expect."""
    start_code, start_at = start(target)
    data = module(
        type_section(functype([], []), functype([I32], [I32])),
        function_section(0, 1, 0),
        memory_section(memory_type(1)),
        export_section(export("memory", KIND_MEMORY, 0), export("_start", KIND_FUNC, 2)),
        code_section(func_body([], FAIL), func_body([], RECURSE), func_body([], start_code)),
        name_section(None, {0: "fail", 1: "recurse"}),
    )
    path.write_bytes(data)
    return {
        "fail": data.index(FAIL) + FAIL_AT,
        "recurse": data.index(RECURSE) + RECURSE_AT,
        "_start": data.index(start_code) + start_at,
    }


def stderr_lines(pywaz_run, engine: str, path) -> list[str]:
    result = pywaz_run("--engine", engine, path)
    assert result.exit_code == 134, result.stderr
    assert b"Traceback" not in result.stderr
    return result.stderr.decode().splitlines()


@pytest.mark.parametrize("engine", ENGINES)
def test_run_prints_each_frame_with_the_file_name_and_offset(pywaz_run, tmp_path, engine):
    path = tmp_path / "prog.wasm"
    offsets = command(path, 0)
    expected = [
        f"pywaz run: {path}: wasm trap: unreachable",
        f"  at fail (prog.wasm @ 0x{offsets['fail']:x})",
        f"  at _start (prog.wasm @ 0x{offsets['_start']:x})",
    ]
    assert stderr_lines(pywaz_run, engine, path) == expected
    assert stderr_lines(pywaz_run, engine, path) == expected  # again, from the disk cache


@pytest.mark.parametrize("engine", ENGINES)
def test_run_collapses_runaway_recursion(pywaz_run, tmp_path, engine):
    path = tmp_path / "deep.wasm"
    offsets = command(path, 1)
    lines = stderr_lines(pywaz_run, engine, path)
    assert lines[0] == f"pywaz run: {path}: wasm trap: call stack exhausted"
    assert lines[1] == f"  at recurse (deep.wasm @ 0x{offsets['recurse']:x})"
    count = lines[2].removeprefix("  ... ").removesuffix(" more frames of recurse")
    assert count != lines[2] and int(count.replace(",", "")) > 1000
    assert lines[3:] == [f"  at _start (deep.wasm @ 0x{offsets['_start']:x})"]
