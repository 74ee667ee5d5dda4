"""Real multi-megabyte modules (bench/.data, fetched by scripts/fetch_modules.py): inspect completes."""

import io
import json
from pathlib import Path

import pytest
from _inspect_schema import check, load_schema

from pywaz.cli import build_parser
from pywaz.decoder import decode_module
from pywaz.inspect import iter_instructions
from pywaz.inspect.disasm import num_imported_funcs

DATA = Path(__file__).resolve().parents[2] / "bench" / ".data"
MODULES = sorted(DATA.glob("*.wasm")) if DATA.is_dir() else []


@pytest.mark.slow
@pytest.mark.skipif(not MODULES, reason="bench/.data is empty (run scripts/fetch_modules.py)")
@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_large_module_summary_and_listings(path):
    parser = build_parser()
    out = io.StringIO()
    args = parser.parse_args(["inspect", str(path), "--json"])
    assert args.handler(args, out) == 0
    document = json.loads(out.getvalue())
    check(document, load_schema())
    summary = document["summary"]
    assert summary["valid"] is True
    assert summary["size"] == path.stat().st_size
    assert sum(s["size"] for s in summary["sections"]) < summary["size"]

    # The three largest bodies, listed line by line (streamed, never joined).
    module = decode_module(path.read_bytes())
    first = num_imported_funcs(module)
    largest = sorted(range(len(module.codes)), key=lambda i: len(module.codes[i].ops))[-3:]
    for local_index in largest:
        body = module.codes[local_index]
        count = 0
        for line, offset in zip(iter_instructions(module, first + local_index), body.offsets, strict=True):
            assert line.offset == offset
            count += 1
        assert count == len(body.ops)

    text = io.StringIO()
    args = parser.parse_args(["inspect", str(path), "--func", str(first + largest[-1]), "--color", "never"])
    assert args.handler(args, text) == 0
    assert text.getvalue().count("\n0x") == len(module.codes[largest[-1]].ops)
