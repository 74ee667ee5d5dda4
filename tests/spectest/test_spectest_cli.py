"""``pywaz spectest`` end to end on a tiny generated testsuite, plus the JSON report shape.

The tiny suite only uses commands the decoder and validator decide, so the
outcomes do not depend on the runtime: a malformed binary (passes), a malformed
text module (passes: pywaz's assembler rejects it) and a valid module wrongly asserted invalid (fails).
"""

from __future__ import annotations

import json

import pytest

from pywaz.cli import SUBCOMMANDS, build_parser, main
from pywaz.spectest import locate
from pywaz.spectest.locate import ENV_VAR

BAD_VERSION = b"\x00asm\x02\x00\x00\x00"
EMPTY_MODULE = b"\x00asm\x01\x00\x00\x00"


def _write(root, name, commands, binaries):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{name}.json").write_text(json.dumps({"source_filename": f"{name}.wast", "commands": commands}))
    for filename, data in binaries.items():
        (folder / filename).write_bytes(data)


@pytest.fixture
def suite(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    root = tmp_path / "v2-json"
    _write(root, "good", [
        {"type": "assert_malformed", "line": 3, "filename": "good.0.wasm", "text": "unknown binary version",
         "module_type": "binary"},
        {"type": "assert_malformed", "line": 5, "filename": "good.1.wat", "text": "unknown operator",
         "module_type": "text"},
    ], {"good.0.wasm": BAD_VERSION, "good.1.wat": b"(module (func i32.bogus))"})
    _write(root, "bad", [
        {"type": "assert_invalid", "line": 7, "filename": "bad.0.wasm", "text": "type mismatch",
         "module_type": "binary"},
    ], {"bad.0.wasm": EMPTY_MODULE})
    return root


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_selected_file_passes_with_exit_zero(suite, capsys):
    assert main(["spectest", "--testsuite", str(suite), "good"]) == 0
    out = capsys.readouterr().out
    assert _last_line(out) == "2 passed, 0 failed, 0 skipped"
    assert "good" in out and "bad" not in out


def test_failure_gives_nonzero_exit_and_details(suite, capsys):
    assert main(["spectest", "--testsuite", str(suite)]) == 1
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 3  # one line per file, sorted, then the totals
    assert lines[0].split()[1] == "bad" and lines[1].split()[1] == "good"
    assert lines[2] == "2 passed, 1 failed, 0 skipped"
    assert main(["spectest", "--testsuite", str(suite), "-v"]) == 1
    out = capsys.readouterr().out
    assert "line 7 assert_invalid" in out and "validated" in out


def test_glob_selection_and_unknown_names(suite, capsys):
    assert main(["spectest", "--testsuite", str(suite), "g*"]) == 0
    assert "bad" not in capsys.readouterr().out
    assert main(["spectest", "--testsuite", str(suite), "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err


def test_json_report_shape(suite, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    assert main(["spectest", "--testsuite", str(suite), "--json", str(report_path)]) == 1
    report = json.loads(report_path.read_text())
    assert report["engine"] == "tiered"  # the default
    assert report["testsuite"] == str(suite)
    assert set(report["files"]) == {"good", "bad"}
    good = report["files"]["good"]
    assert (good["passed"], good["failed"], good["skipped"]) == (2, 0, 0)
    assert good["by_command"] == {"assert_malformed": {"passed": 2, "failed": 0, "skipped": 0}}
    assert good["failures"] == []
    (failure,) = report["files"]["bad"]["failures"]
    assert failure["line"] == 7 and failure["command"] == "assert_invalid" and "validated" in failure["message"]
    assert report["totals"] == {
        "passed": 2, "failed": 1, "skipped": 0,
        "by_command": {"assert_invalid": {"passed": 0, "failed": 1, "skipped": 0},
                       "assert_malformed": {"passed": 2, "failed": 0, "skipped": 0}},
    }


def test_missing_default_testsuite_fails_with_instructions(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(locate, "default_roots", lambda: (tmp_path / "absent",))
    report_path = tmp_path / "report.json"
    assert main(["spectest", "--json", str(report_path)]) == 66  # EX_NOINPUT, not "0 passed"
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "wast2json" in captured.err and "WebAssembly/testsuite" in captured.err
    assert f"Searched: {tmp_path / 'absent' / 'v3-json'}." in captured.err
    assert not report_path.exists()


def test_requested_testsuite_that_does_not_exist_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert main(["spectest", "--testsuite", str(tmp_path / "absent")]) == 66
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent2"))
    assert main(["spectest"]) == 66
    assert "absent2" in capsys.readouterr().err


def test_env_var_locates_the_suite(suite, monkeypatch, capsys):
    monkeypatch.setenv(ENV_VAR, str(suite))
    assert main(["spectest", "good"]) == 0


def _handlers_missing(parser, path):
    """Leaf parsers (no nested subcommands) that set no handler."""
    import argparse

    nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not nested:
        return [] if callable(parser.get_default("handler")) else [path]
    return [missing for name, sub in nested[0].choices.items() for missing in _handlers_missing(sub, f"{path} {name}")]


def test_cli_skeleton_registers_every_subcommand(capsys):
    import argparse

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(subparsers.choices) == list(SUBCOMMANDS)
    assert _handlers_missing(parser, "pywaz") == []
    assert main([]) == 2  # no subcommand: help and a usage error
    assert "spectest" in capsys.readouterr().err


def test_unknown_engine_is_a_usage_error(suite, capsys):
    pytest.importorskip("pywaz.vm.runtime")
    assert main(["spectest", "--testsuite", str(suite), "--engine", "no-such-engine", "good"]) == 2
    assert "no-such-engine" in capsys.readouterr().err


def test_suite_flag_picks_the_folder_and_v3_is_the_default(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ENV_VAR, raising=False)
    malformed = {"type": "assert_malformed", "line": 3, "filename": "m.0.wasm", "text": "unknown binary version",
                 "module_type": "binary"}
    _write(tmp_path / "v2-json", "two", [malformed], {"m.0.wasm": BAD_VERSION})
    _write(tmp_path / "v3-json", "three", [malformed], {"m.0.wasm": BAD_VERSION})
    _write(tmp_path / "v3-legacy-json", "three", [malformed], {"m.0.wasm": BAD_VERSION})
    assert main(["spectest", "--testsuite", str(tmp_path)]) == 0
    names = [line.split()[1] for line in capsys.readouterr().out.strip().splitlines()[:-1]]
    assert names == ["legacy/three", "three"]
    assert main(["spectest", "--testsuite", str(tmp_path), "--suite", "v2"]) == 0
    assert capsys.readouterr().out.split()[1] == "two"
    monkeypatch.setattr(locate, "default_roots", lambda: (tmp_path,))
    assert main(["spectest", "legacy/*"]) == 0
    assert capsys.readouterr().out.split()[1] == "legacy/three"
    with pytest.raises(SystemExit):
        main(["spectest", "--suite", "v1"])
    assert "v1" in capsys.readouterr().err


def test_suite_choices_are_the_known_suites():
    import argparse

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    (suite,) = [a for a in subparsers.choices["spectest"]._actions if a.dest == "suite"]
    assert set(suite.choices) == set(locate.SUITES) and suite.default == locate.DEFAULT_SUITE


@pytest.mark.parametrize("engine", ["tiered", "interpreter", "compiler"])
def test_every_engine_runs_the_selected_file(suite, capsys, engine):
    assert main(["spectest", "--testsuite", str(suite), "--engine", engine, "good"]) == 0


def test_tier_thresholds_option(suite, capsys):
    for value in ("1,1", "default", "5,1000"):
        assert main(["spectest", "--testsuite", str(suite), "--tier-thresholds", value, "good"]) == 0
    for value in ("0,1", "3", "a,b"):
        assert main(["spectest", "--testsuite", str(suite), "--tier-thresholds", value, "good"]) == 2
        assert "--tier-thresholds" in capsys.readouterr().err
