"""``pywaz inspect`` of typed-function-reference and GC modules: types, instructions, schema, features."""

import io
import json
from pathlib import Path

import pytest
from _inspect_schema import check, load_schema

from pywaz.cli import build_parser
from pywaz.decoder import decode_module
from pywaz.errors import DecodeError
from pywaz.inspect import disassemble, summarize
from pywaz.inspect.disasm import num_imported_funcs
from pywaz.text import wat2wasm

V3_JSON = Path(__file__).resolve().parents[3] / "shared" / "wasm-testsuite" / "v3-json"
GC_FILES = ("array", "array_copy", "br_on_cast", "br_on_cast_fail", "br_on_non_null", "br_on_null", "call_ref",
            "extern", "i31", "local_init", "ref_as_non_null", "ref_cast", "ref_eq", "ref_test", "return_call_ref",
            "struct", "type-equivalence", "type-rec", "type-subtyping")

GC_WAT = """(module
  (rec (type $node (sub (struct (field $next (mut (ref null $node))) (field i8))))
       (type $leaf (sub final $node (struct (field (mut (ref null $node))) (field i8) (field f64)))))
  (type $bytes (array (mut i8)))
  (func $f (param $n (ref null $node)) (result i32)
    (block $done (result (ref $leaf))
      (br_on_cast $done (ref null $node) (ref $leaf) (local.get $n))
      (drop)
      (return (i32.const 0)))
    (struct.get_u $leaf 1)))"""


def test_summary_shows_rec_groups_sub_types_and_fields():
    summary = summarize(wat2wasm(GC_WAT))
    node, leaf, array = summary["types"][:3]
    assert node["text"] == "rec 0: (sub (struct (field (mut (ref null 0))) (field i8)))"
    assert leaf["text"] == "rec 0: (sub final 0 (struct (field (mut (ref null 0))) (field i8) (field f64)))"
    assert array["text"] == "rec 1: (array (mut i8))"
    assert (node["kind"], node["final"], node["supertypes"], node["rec_group"]) == ("struct", False, [], 0)
    assert (leaf["final"], leaf["supertypes"]) == (True, [0])
    assert array["fields"] == [{"type": "i8", "mutable": True}]
    assert [f["name"] for f in summary["features"]] == ["gc"]
    check({"format": "pywaz-inspect/1", "path": "m.wasm", "summary": summary}, load_schema())


def test_listing_spells_gc_instructions_as_wat():
    module = decode_module(wat2wasm(GC_WAT))
    texts = [line.text.split(";;")[0].strip() for line in disassemble(module, 0)]
    assert "br_on_cast 0 (ref null 0) (ref 1)" in texts
    assert "struct.get_u 1 1" in texts
    assert texts[0] == "block (result (ref 1))"


@pytest.mark.skipif(not V3_JSON.is_dir(), reason="spec testsuite data not present")
def test_every_gc_spec_module_inspects_and_matches_the_schema():
    schema = load_schema()
    parser = build_parser()
    count = 0
    for name in GC_FILES:
        script = V3_JSON / name / f"{name}.json"
        for command in json.loads(script.read_text())["commands"]:
            filename = command.get("filename", "")
            if not filename.endswith(".wasm") or command["type"] not in ("module", "assert_invalid", "assert_trap",
                                                                         "assert_unlinkable"):
                continue
            path = script.parent / filename
            out = io.StringIO()
            args = parser.parse_args(["inspect", str(path), "--json"])
            assert args.handler(args, out) == 0, path
            document = json.loads(out.getvalue())
            check(document, schema)
            assert document["summary"]["valid"] is (command["type"] != "assert_invalid"), path
            try:
                module = decode_module(path.read_bytes())
            except DecodeError:
                continue
            first = num_imported_funcs(module)
            for local_index in range(len(module.codes)):
                disassemble(module, first + local_index)
            count += 1
    assert count > 200
