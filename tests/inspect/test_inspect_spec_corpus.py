"""``pywaz inspect`` over the whole v2 spec corpus: every module, and every bad module fails cleanly."""

import contextlib
import io
import json
from pathlib import Path

import pytest
from _inspect_schema import check, load_schema

from pywaz.cli import build_parser, main
from pywaz.decoder import decode_module
from pywaz.features import ProposalNotImplementedError
from pywaz.errors import DecodeError
from pywaz.inspect import disassemble, summarize
from pywaz.inspect.disasm import num_imported_funcs

# The v2 corpus beside the repository (as CI has it), wherever the checkout lives.
SPEC_JSON = Path(__file__).resolve().parents[3] / "shared" / "wasm-testsuite" / "v2-json"

pytestmark = pytest.mark.skipif(not SPEC_JSON.is_dir(), reason="spec testsuite data not present")


def _modules(kinds):
    found = []
    for script in sorted(SPEC_JSON.glob("*/*.json")):
        if script.name == "CONVERSION.json":
            continue
        for command in json.loads(script.read_text())["commands"]:
            if command["type"] in kinds and command.get("module_type", "binary") == "binary":
                found.append(script.parent / command["filename"])
    return found


@pytest.fixture(scope="module")
def valid_modules():
    return _modules({"module"})


def test_every_spec_module_inspects_and_its_json_matches_the_schema(valid_modules):
    assert len(valid_modules) > 1500
    schema = load_schema()
    parser = build_parser()  # once: building it is most of the cost of main() on small modules
    for path in valid_modules:
        out = io.StringIO()
        args = parser.parse_args(["inspect", str(path), "--json"])
        status = args.handler(args, out)
        assert status == 0, path
        document = json.loads(out.getvalue())
        check(document, schema)
        summary = document["summary"]
        assert summary["valid"] is True, (path, summary["validation_error"])
        assert summary["functions"]["total"] == len(summary["functions"]["list"])


def test_listings_of_a_sample_cover_every_instruction_of_the_body(valid_modules):
    text_out = io.StringIO()
    for path in valid_modules[::7]:
        data = path.read_bytes()
        module = decode_module(data)
        first = num_imported_funcs(module)
        for local_index, body in enumerate(module.codes[:20]):
            lines = disassemble(module, first + local_index)
            assert [line.offset for line in lines] == list(body.offsets)
            assert lines[-1].text == "end" and lines[-1].depth == 0
            assert all(line.depth >= 0 for line in lines)
        if first + len(module.codes) == 0:
            continue
        with contextlib.redirect_stdout(text_out):
            assert main(["inspect", str(path), "--func", "*", "--color", "never"]) == 0
            assert text_out.getvalue().count("\nfunc[") == first + len(module.codes)
            text_out.seek(0)
            text_out.truncate()


def test_invalid_and_malformed_modules_never_crash():
    schema = load_schema()
    for path in _modules({"assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable"}):
        data = path.read_bytes()
        try:
            summary = summarize(data)
        except DecodeError as error:
            assert error.offset is not None or str(error), path
            continue
        except ProposalNotImplementedError as error:  # a proposal pywaz does not implement yet: named, located
            assert error.offset is not None and error.name in str(error), path
            continue
        check({"format": "pywaz-inspect/1", "path": str(path), "summary": summary}, schema)
        module = decode_module(data)
        first = num_imported_funcs(module)
        for local_index in range(len(module.codes)):
            disassemble(module, first + local_index)
