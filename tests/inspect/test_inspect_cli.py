"""``pywaz inspect`` on the command line: text and JSON output, --func selection, colour, bad input."""

import io
import json
import subprocess
import sys

import pytest
from _inspect_schema import check, load_schema

from pywaz.cli import main
from pywaz.inspect.render import use_colour
from pywaz.text import wat2wasm

WAT = """
(module
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $run_a (export "run_a") (result i32) (i32.const 1))
  (func $run_b (export "run_b") (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 2)))
  (func $other (i32.store (i32.const 0) (i32.const 3))))
"""


@pytest.fixture(scope="module")
def wasm_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("inspect") / "m.wasm"
    path.write_bytes(wat2wasm(WAT))
    return str(path)


def _run(capsys, *argv):
    status = main(["inspect", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_summary_text_has_aligned_tables(capsys, wasm_path):
    status, out, err = _run(capsys, wasm_path)
    assert status == 0 and err == ""
    assert "functions: 4 (1 imported, 3 defined, 4 named)" in out
    assert "\x1b[" not in out  # captured output is not a terminal
    lines = out.splitlines()
    header = lines.index("exports (2)") + 1
    assert lines[header].split() == ["kind", "index", "name", "type"]
    # every row of a table starts its columns at the header's columns
    column = lines[header].index("name")
    assert lines[header + 1][column:].startswith("run_a") and lines[header + 2][column:].startswith("run_b")


def test_summary_json_validates_against_the_schema(capsys, wasm_path):
    status, out, _ = _run(capsys, wasm_path, "--json")
    assert status == 0
    document = json.loads(out)
    check(document, load_schema())
    assert document["summary"]["functions"]["total"] == 4 and "functions" not in document


def test_func_by_glob_index_and_name_in_order_without_duplicates(capsys, wasm_path):
    status, out, _ = _run(capsys, wasm_path, "--func", "run*", "--func", "3", "--func", "run_a", "--json")
    assert status == 0
    document = json.loads(out)
    check(document, load_schema())
    assert [f["index"] for f in document["functions"]] == [1, 2, 3]
    run_b = document["functions"][1]
    assert [line["text"] for line in run_b["wasm"]] == ["local.get 0 <x>", "i32.const 2", "i32.add", "end"]
    assert run_b["python_source"] is None and run_b["dis"] is None


def test_func_listing_text(capsys, wasm_path):
    status, out, _ = _run(capsys, wasm_path, "--func", "run_b", "--wasm")
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0] == "func[2] <run_b>: (param i32) (result i32)"
    assert [line.split(": ", 1)[1] for line in lines[1:]] == ["local.get 0 <x>", "i32.const 2", "i32.add", "end"]


def test_python_and_dis_views_or_a_clear_unavailable_line(capsys, wasm_path):
    status, out, _ = _run(capsys, wasm_path, "--func", "run_b", "--python", "--dis")
    assert status == 0
    if "not available" in out:
        assert "python view not available" in out
    else:
        assert "def f2_run_b(" in out and "# wasm@0x" in out
        assert "# CPython bytecode" in out and "RETURN_VALUE" in out
    assert "i32.add" not in out  # --python/--dis alone leave out the wasm listing
    status, out, _ = _run(capsys, wasm_path, "--func", "log", "--python", "--json")
    entry = json.loads(out)["functions"][0]
    assert entry["imported"] == "env.log" and entry["wasm"] is None and "imported" in entry["python_unavailable"]


def test_colour_only_when_asked_or_on_a_terminal(capsys, wasm_path, monkeypatch):
    status, out, _ = _run(capsys, wasm_path, "--func", "0", "--color", "always")
    assert status == 0 and "\x1b[1m" in out

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Terminal()) is True
    assert use_colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(Terminal()) is False
    assert use_colour(Terminal(), "always") is True


@pytest.mark.parametrize(
    "argv, status, message",
    [
        (["/nonexistent/x.wasm"], 66, "cannot read /nonexistent/x.wasm: No such file or directory"),
        (["MALFORMED"], 65, "malformed module: length out of bounds at byte offset"),
        (["WASM", "--func", "nope"], 2, "no function matches 'nope'"),
        (["WASM", "--func", "zz*"], 2, "no function matches 'zz*'"),
        (["WASM", "--func", "99"], 2, "no function 99: the module has 4 functions (0..3)"),
    ],
)
def test_bad_input_is_one_error_line_and_its_status(capsys, wasm_path, tmp_path, argv, status, message):
    malformed = tmp_path / "bad.wasm"
    malformed.write_bytes(wat2wasm(WAT)[:-3])
    argv = [{"WASM": wasm_path, "MALFORMED": str(malformed)}.get(arg, arg) for arg in argv]
    actual, out, err = _run(capsys, *argv)
    assert actual == status and out == ""
    assert err.count("\n") == 1 and err.startswith("pywaz inspect: error: ") and message in err


def test_the_installed_entry_point_runs_inspect(wasm_path):
    result = subprocess.run(
        [sys.executable, "-m", "pywaz.cli", "inspect", wasm_path, "--func", "run_a"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "func[1] <run_a>: (result i32)" in result.stdout


def test_star_selects_unnamed_functions_by_index(capsys, tmp_path):
    path = tmp_path / "anon.wasm"
    path.write_bytes(wat2wasm('(module (func) (func (result i32) (i32.const 7)) (func (export "e")))'))
    status, out, _ = _run(capsys, str(path), "--func", "*", "--json")
    assert status == 0
    assert [(f["index"], f["name"]) for f in json.loads(out)["functions"]] == [(0, None), (1, None), (2, "e")]
    status, out, _ = _run(capsys, str(path), "--func", "1")
    assert "func[1]: (result i32)" in out and "i32.const 7" in out


def test_streamed_json_function_equals_the_in_memory_object(capsys, wasm_path):
    from pathlib import Path

    from pywaz.decoder import decode_module
    from pywaz.inspect import function_view
    from pywaz.inspect.render import function_json
    from pywaz.validator import validate

    validated = validate(decode_module(Path(wasm_path).read_bytes()))
    status, out, _ = _run(capsys, wasm_path, "--func", "run_b", "--func", "other", "--json")
    assert status == 0
    streamed = json.loads(out)["functions"]
    expected = [
        function_json(function_view(validated, index), wasm=True, python=False, disassembly=False) for index in (2, 3)
    ]
    assert streamed == expected
    assert [line["text"] for line in streamed[1]["wasm"]][-2:] == ["i32.store", "end"]


def test_an_invalid_module_is_still_inspected_and_says_why(capsys, tmp_path):
    data = wat2wasm("(module (func (result i32) (i32.const 1)))").replace(b"\x41\x01\x0b", b"\x6a\x01\x0b")
    path = tmp_path / "invalid.wasm"
    path.write_bytes(data)
    status, out, err = _run(capsys, str(path))
    assert status == 0 and err == ""
    assert "INVALID: type mismatch" in out.splitlines()[0]
    status, out, err = _run(capsys, str(path), "--func", "0", "--python")
    assert status == 0
    assert err.startswith("pywaz inspect: warning: ") and "does not validate" in err
    assert "python view not available: needs a validated module" in out
