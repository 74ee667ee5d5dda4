"""One exit-status convention for every subcommand (pywaz/cli/exitcodes.py).

For each of run, compile, inspect, cache ACTION, spectest and demo: a missing
input (66), a malformed or invalid module (65), usage errors (2) and success
(0), each with one stderr line and never a traceback. Plus size arguments
that are not sizes (inf, nan, 1e400, negative, garbage), spectest without
data, the help texts that document the statuses, and the catch-all for bugs
(70). Most cases run in-process through ``pywaz.cli.main``; the ones about
what a user's shell sees run ``python -m pywaz`` in a subprocess.
"""

from __future__ import annotations

import json

import pytest

from pywaz.cli import exitcodes, main
from pywaz.spectest import locate
from pywaz.spectest.locate import ENV_VAR
from pywaz.text import wat2wasm
from tests.cli.conftest import run_cli

WAT = '(module (memory (export "memory") 1) (func (export "add") (param i32 i32) (result i32) ' \
      "local.get 0 local.get 1 i32.add))"


@pytest.fixture
def modules(tmp_path):
    """Paths of a valid module, a malformed one (truncated), an invalid one, and a file that does not exist."""
    good = wat2wasm(WAT)
    paths = {
        "good": tmp_path / "good.wasm",
        "malformed": tmp_path / "malformed.wasm",
        "invalid": tmp_path / "invalid.wasm",
        "missing": tmp_path / "missing.wasm",
    }
    paths["good"].write_bytes(good)
    paths["malformed"].write_bytes(good[:-3])
    # Well-formed but invalid (the function returns an i64 where its type says i32); wat2wasm validates,
    # so swap the opcode by hand: i32.const 1 -> i64.const 1 keeps the size.
    invalid = wat2wasm("(module (func (result i32) i32.const 1))")
    paths["invalid"].write_bytes(invalid.replace(b"\x41\x01\x0b", b"\x42\x01\x0b"))
    return {name: str(path) for name, path in paths.items()}


def cli(capsys, *argv):
    """``pywaz ARGV`` in this process: (status, stdout, stderr); argparse's own exits are caught."""
    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_error_line(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


# -- run --------------------------------------------------------------------------------------


def test_run(capsys, modules, tmp_path):
    cache = ["--cache-dir", tmp_path / "cache"]
    assert cli(capsys, "run", *cache, "--invoke", "add", modules["good"], "2", "3")[:2] == (0, "5\n")
    status, _, err = cli(capsys, "run", *cache, modules["missing"])
    assert status == exitcodes.NO_INPUT == 66
    one_error_line(err, "cannot read", "missing.wasm")
    status, _, err = cli(capsys, "run", *cache, modules["malformed"])
    assert status == exitcodes.DATA_ERROR == 65
    one_error_line(err, "malformed module")
    status, _, err = cli(capsys, "run", *cache, "--invoke", "add", modules["invalid"])
    assert status == 65
    one_error_line(err, "invalid module")
    assert cli(capsys, "run", "--compile-mode", "bogus", modules["good"])[0] == exitcodes.USAGE == 2
    status, _, err = cli(capsys, "run", *cache, "--invoke", "add", modules["good"], "2", "1.5")
    assert status == 2
    one_error_line(err, "--invoke argument 2 (i32): '1.5' is not an integer")


# -- compile ----------------------------------------------------------------------------------


def test_compile(capsys, modules, tmp_path):
    cache = ["--cache-dir", tmp_path / "cache"]
    status, out, _ = cli(capsys, "compile", *cache, modules["good"])
    assert status == 0 and out.startswith("compiled: ")
    status, _, err = cli(capsys, "compile", *cache, modules["missing"])
    assert status == 66
    one_error_line(err, "pywaz compile: cannot read")
    status, _, err = cli(capsys, "compile", *cache, modules["malformed"])
    assert status == 65
    one_error_line(err, "malformed module")
    status, _, err = cli(capsys, "compile", *cache, modules["invalid"])
    assert status == 65
    one_error_line(err, "invalid module: type mismatch")
    status, _, err = cli(capsys, "compile", *cache, "--engine", "no-such-engine", modules["good"])
    assert status == 2
    one_error_line(err, "--engine")


def test_compile_mode_is_a_choice(capsys, modules, tmp_path):
    status, _, err = cli(capsys, "compile", "--cache-dir", tmp_path / "c", "--compile-mode", "bogus", modules["good"])
    assert status == 2
    assert "argument --compile-mode: invalid choice: 'bogus'" in err
    assert not (tmp_path / "c").exists()  # refused before anything was done


def test_compile_mode_picks_the_entry_runs_in_that_mode_find(modules, tmp_path):
    """Every function is compiled either way; the mode decides which runs load the entry without compiling."""
    for mode, hit_by_default_run in (("eager", False), ("lazy", True)):
        cache = str(tmp_path / mode)
        assert run_cli(["compile", "--cache-dir", cache, "--compile-mode", mode, modules["good"]]).exit_code == 0
        default_run = run_cli(["run", "--stats", "--cache-dir", cache, "--invoke", "add", modules["good"], "1", "2"])
        assert default_run.stdout == b"3\n"
        assert (b"disk cache hit" in default_run.stderr) is hit_by_default_run
        same_mode = run_cli(["run", "--stats", "--cache-dir", cache, "--compile-mode", mode, "--invoke", "add",
                             modules["good"], "1", "2"])
        assert b"disk cache hit, functions compiled this run 0 " in same_mode.stderr


def test_compile_help_says_what_the_mode_does(capsys):
    status, out, _ = cli(capsys, "compile", "--help")
    assert status == 0
    text = " ".join(out.split())
    assert "{lazy,eager}" in text and "either way every function is compiled now" in text
    assert "65 the module is malformed or invalid" in text


# -- inspect ----------------------------------------------------------------------------------


def test_inspect(capsys, modules):
    status, out, _ = cli(capsys, "inspect", modules["good"])
    assert status == 0 and "add" in out
    status, _, err = cli(capsys, "inspect", modules["missing"])
    assert status == 66
    one_error_line(err, "cannot read")
    status, _, err = cli(capsys, "inspect", modules["malformed"])
    assert status == 65
    one_error_line(err, "malformed module")
    status, _, err = cli(capsys, "inspect", modules["good"], "--func", "nothing-called-this")
    assert status == 2
    one_error_line(err, "--func", "no function matches")
    assert cli(capsys, "inspect", modules["good"], "--color", "purple")[0] == 2
    # An invalid module is still inspected, and the summary says why: success.
    status, out, _ = cli(capsys, "inspect", modules["invalid"])
    assert status == 0 and "INVALID: type mismatch" in out


# -- cache ------------------------------------------------------------------------------------


@pytest.fixture
def filled_cache(capsys, modules, tmp_path):
    cache = str(tmp_path / "cache")
    assert cli(capsys, "compile", "--cache-dir", cache, modules["good"])[0] == 0
    return cache


@pytest.mark.parametrize("action", [["ls"], ["verify"], ["prune", "--max-bytes", "1G"], ["clear"], ["show", "ab"]])
def test_cache_actions_succeed_and_miss_their_input(capsys, filled_cache, tmp_path, action):
    status, out, err = cli(capsys, "cache", *action, "--cache-dir", filled_cache)
    if action[0] == "show":  # no entry has this key: the input named does not exist
        assert status == 66
        one_error_line(err, "no entry with key 'ab'")
    else:
        assert status == 0 and err == ""
    status, out, err = cli(capsys, "cache", *action, "--cache-dir", tmp_path / "nowhere")
    assert status == 66 and out == ""
    one_error_line(err, "no cache directory at")


def test_cache_show_and_verify_report_an_invalid_entry_with_1(capsys, filled_cache):
    listing = json.loads(cli(capsys, "cache", "ls", "--json", "--cache-dir", filled_cache)[1])
    (entry,) = listing["entries"]
    assert cli(capsys, "cache", "show", entry["key"][:10], "--cache-dir", filled_cache)[0] == 0
    with open(entry["path"], "r+b") as f:  # flip a byte in the payload
        f.seek(entry["size"] - 5)
        byte = f.read(1)
        f.seek(entry["size"] - 5)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert cli(capsys, "cache", "show", entry["key"][:10], "--cache-dir", filled_cache)[0] == exitcodes.FAILED == 1
    assert cli(capsys, "cache", "verify", "--cache-dir", filled_cache)[0] == 1
    assert cli(capsys, "cache", "verify", "--cache-dir", filled_cache)[0] == 0  # the first verify removed it


def test_cache_unsafe_directory_is_73(capsys, modules, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    for argv in (["cache", "ls"], ["compile", modules["good"]]):
        status, _, err = cli(capsys, *argv, "--cache-dir", shared)
        assert status == exitcodes.CANT_CREATE == 73
        one_error_line(err, "writable by group or others")


def test_cache_usage_errors(capsys, filled_cache):
    assert cli(capsys, "cache")[0] == 2  # no action
    assert cli(capsys, "cache", "nonsense")[0] == 2
    assert cli(capsys, "cache", "prune", "--cache-dir", filled_cache)[0] == 2  # no size
    assert cli(capsys, "cache", "show", "", "--cache-dir", filled_cache)[0] == 0  # one entry: the empty prefix is it


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("inf", "must be a finite number of bytes"),
        ("nan", "must be a finite number of bytes"),
        ("-inf", "must be a finite number of bytes"),
        ("1e400", "is too large"),
        ("1e19", "is too large"),
        ("-5", "must not be negative"),
        ("-1K", "must not be negative"),
        ("lots", "is not a size"),
        ("5X", "is not a size"),
        ("", "is not a size"),
    ],
)
@pytest.mark.parametrize("form", ["--max-bytes", "positional"])
def test_prune_sizes_that_are_not_sizes_are_usage_errors(capsys, filled_cache, value, fragment, form):
    size = [f"--max-bytes={value}"] if form == "--max-bytes" else ["--", value]
    status, out, err = cli(capsys, "cache", "prune", "--cache-dir", filled_cache, *size)
    assert status == 2 and out == ""
    assert f"argument {'--max-bytes' if form == '--max-bytes' else 'SIZE'}: " in err
    assert fragment in err and "Traceback" not in err and "_size" not in err and "parse_size" not in err
    listing = json.loads(cli(capsys, "cache", "ls", "--json", "--cache-dir", filled_cache)[1])
    assert listing["count"] == 1  # nothing was pruned


@pytest.mark.parametrize("value, expected", [("0", 0), ("1k", 1024), ("1.5M", 1572864), ("2GiB", 2 << 30),
                                             ("1_000", 1000), ("1e3", 1000), ("7B", 7)])
def test_prune_sizes(capsys, filled_cache, value, expected):
    status, out, _ = cli(capsys, "cache", "prune", "--json", "--max-bytes", value, "--cache-dir", filled_cache)
    assert status == 0 and json.loads(out)["max_bytes"] == expected


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_prune_inf_nan_1e400_from_the_shell(tmp_path, value):
    (tmp_path / "c").mkdir(mode=0o700)
    result = run_cli(["cache", "prune", value, "--cache-dir", tmp_path / "c"])
    assert result.exit_code == 2 and result.stdout == b""
    err = result.stderr.decode()
    assert "Traceback" not in err and "OverflowError" not in err and "_size" not in err
    assert err.splitlines()[-1].startswith("pywaz cache prune: error: argument SIZE: ")


# -- spectest ---------------------------------------------------------------------------------


def _suite(root):
    """A one-file testsuite whose single command (a malformed binary) passes."""
    folder = root / "tiny"
    folder.mkdir(parents=True)
    (folder / "tiny.0.wasm").write_bytes(b"\x00asm\x02\x00\x00\x00")
    command = {"type": "assert_malformed", "line": 1, "filename": "tiny.0.wasm", "text": "unknown binary version",
               "module_type": "binary"}
    (folder / "tiny.json").write_text(json.dumps({"source_filename": "tiny.wast", "commands": [command]}))
    return root


def test_spectest(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    suite = _suite(tmp_path / "suite")
    status, out, _ = cli(capsys, "spectest", "--testsuite", suite)
    assert status == 0 and out.splitlines()[-1] == "1 passed, 0 failed, 0 skipped"
    status, _, err = cli(capsys, "spectest", "--testsuite", tmp_path / "absent")
    assert status == 66
    one_error_line(err, "absent is not a directory", ENV_VAR)
    status, _, err = cli(capsys, "spectest", "--testsuite", suite, "no_such_file")
    assert status == 2
    one_error_line(err, "no test file matches 'no_such_file'")
    assert cli(capsys, "spectest", "--testsuite", suite, "--compile-mode", "bogus")[0] == 2
    status, _, err = cli(capsys, "spectest", "--testsuite", suite, "--json", tmp_path / "absent" / "report.json")
    assert status == exitcodes.CANT_CREATE
    assert "cannot write" in err


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "soon"])
def test_spectest_timeout_must_be_finite_seconds(capsys, tmp_path, value):
    status, _, err = cli(capsys, "spectest", "--testsuite", _suite(tmp_path / "s"), f"--timeout={value}")
    assert status == 2 and "argument --timeout: " in err and "Traceback" not in err


def test_spectest_without_data_fails_and_says_where_and_how(tmp_path, monkeypatch):
    """With $PYWAZ_TESTSUITE naming an empty directory: non-zero, and a message a user can act on."""
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(["spectest"], env={ENV_VAR: str(empty)})
    assert result.exit_code == exitcodes.NO_INPUT and result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    for fragment in (str(empty), ENV_VAR, "github.com/WebAssembly/testsuite", "wast2json",
                     "wasm-tools json-from-wast", "../shared/wasm-testsuite"):
        assert fragment in err, fragment


def test_spectest_without_any_default_data_names_the_places_searched(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(locate, "checkout_root", lambda: None)  # as installed from a wheel
    status, out, err = cli(capsys, "spectest")
    assert status == 66 and out == ""
    one_error_line(err, f"Searched: {tmp_path.parent / 'shared' / 'wasm-testsuite' / 'v3-json'}.", ENV_VAR)


# -- demo -------------------------------------------------------------------------------------


def test_demo(capsys, modules):
    status, out, _ = cli(capsys, "demo", modules["good"])  # not a WASI command: summarised only
    assert status == 0 and "exports (2)" in out
    status, _, err = cli(capsys, "demo", modules["missing"])
    assert status == 66
    one_error_line(err, "cannot read")
    status, _, err = cli(capsys, "demo", modules["malformed"])
    assert status == 65
    one_error_line(err, "DecodeError")
    assert cli(capsys, "demo", modules["good"], "extra")[0] == 2


# -- the convention itself --------------------------------------------------------------------


def test_top_level_help_documents_every_status(capsys):
    status, out, _ = cli(capsys, "--help")
    assert status == 0
    for code, meaning in exitcodes.MEANINGS:
        assert f"{code!s:>4}  {meaning}" in out


@pytest.mark.parametrize("command", [["run"], ["compile"], ["inspect"], ["spectest"], ["demo"], ["cache"],
                                     ["cache", "ls"], ["cache", "show"], ["cache", "verify"], ["cache", "prune"],
                                     ["cache", "clear"]])
def test_every_subcommand_help_lists_its_statuses(capsys, command):
    status, out, _ = cli(capsys, *command, "--help")
    assert status == 0
    statuses = out[out.index("exit status:"):]
    assert "     0  " in statuses and "     2  " in statuses


def test_no_subcommand_is_a_usage_error(capsys):
    status, _, err = cli(capsys)
    assert status == 2 and "COMMAND" in err


def test_a_bug_is_one_line_and_status_70(capsys, modules, monkeypatch):
    from pywaz.cli import inspect as inspect_command

    def broken(args):
        raise KeyError("oops")

    monkeypatch.setattr(inspect_command, "run_inspect", broken)
    status, out, err = cli(capsys, "inspect", modules["good"])
    assert status == exitcodes.INTERNAL == 70 and out == ""
    one_error_line(err, "pywaz inspect: internal error (please report it): KeyError: 'oops'")


def test_an_unhandled_pywaz_error_is_status_1(capsys, modules, monkeypatch):
    from pywaz.cli import inspect as inspect_command
    from pywaz.errors import LinkError

    def failing(args):
        raise LinkError("no such import")

    monkeypatch.setattr(inspect_command, "run_inspect", failing)
    status, _, err = cli(capsys, "inspect", modules["good"])
    assert status == 1
    one_error_line(err, "pywaz inspect: error: LinkError: no such import")


# ---- modules that need a proposal that is switched off or not implemented: 69, naming the proposal

RELAXED_WAT = '(module (func (export "f") (result v128) v128.const i64x2 0 0 v128.const i64x2 0 0 ' \
              "i8x16.relaxed_swizzle))"
# atomic.fence (0xFE 0x03 0x00, threads): a proposal pywaz does not implement, as the body of one function
UNIMPLEMENTED_BODY = b"\xfe\x03\x00\x0b"


@pytest.fixture
def proposal_modules(tmp_path):
    relaxed = tmp_path / "relaxed.wasm"
    relaxed.write_bytes(wat2wasm(RELAXED_WAT))
    from tests.wasmgen import single_func_module

    unimplemented = tmp_path / "threads.wasm"
    unimplemented.write_bytes(single_func_module(UNIMPLEMENTED_BODY))
    return {"relaxed": str(relaxed), "unimplemented": str(unimplemented)}


def test_disable_switches_a_proposal_off_in_run_and_compile(capsys, proposal_modules, tmp_path):
    path = proposal_modules["relaxed"]
    status, _, err = cli(capsys, "run", "--no-cache", "--disable", "relaxed-simd", "--invoke", "f", path)
    assert status == exitcodes.UNSUPPORTED
    one_error_line(err, "relaxed-simd proposal is not enabled", "byte offset")
    status, out, _ = cli(capsys, "run", "--no-cache", "--invoke", "f", path)
    assert status == exitcodes.OK
    status, _, err = cli(capsys, "compile", "--cache-dir", tmp_path / "c", "--disable", "relaxed_simd", path)
    assert status == exitcodes.UNSUPPORTED
    one_error_line(err, "relaxed-simd proposal is not enabled")


def test_unimplemented_proposal_is_69_in_every_subcommand(capsys, proposal_modules, tmp_path, monkeypatch):
    # pywaz implements every proposal it has a switch for; pretend threads is not implemented (None), as a
    # proposal added to the switches before its implementation would be.
    import pywaz.decoder.module as decoder_module
    import pywaz.features as features_module

    unimplemented = features_module.DEFAULT.replace(threads=None)
    monkeypatch.setattr(features_module, "DEFAULT", unimplemented)
    real_decode = decoder_module.decode_module
    monkeypatch.setattr(decoder_module, "decode_module",
                        lambda data, features=unimplemented, **options: real_decode(data, features, **options))
    import pywaz.decoder

    monkeypatch.setattr(pywaz.decoder, "decode_module", decoder_module.decode_module)
    path = proposal_modules["unimplemented"]
    for argv in (("run", "--no-cache", path), ("compile", "--cache-dir", tmp_path / "c", path), ("inspect", path)):
        status, _, err = cli(capsys, *argv)
        assert status == exitcodes.UNSUPPORTED, (argv, err)
        one_error_line(err, "threads proposal is not implemented by pywaz", "byte offset")


def test_disable_rejects_unknown_proposals(capsys, proposal_modules):
    status, _, err = cli(capsys, "run", "--disable", "simd128", proposal_modules["relaxed"])
    assert status == exitcodes.USAGE and "unknown WebAssembly proposal 'simd128'" in err
