"""Command parsing and script loading (pywaz.spectest.script)."""

from __future__ import annotations

import json

import pytest

from pywaz.spectest.dialect import Dialect
from pywaz.spectest.script import clear_cache, load_script, parse_command, parse_script
from pywaz.spectest.values import EitherMatcher, FloatMatcher, IntMatcher, SpecFormatError


def test_module_command():
    command = parse_command({"type": "module", "line": 3, "name": "$M", "filename": "x.0.wasm"})
    assert (command.type, command.line, command.name, command.filename, command.error) == (
        "module", 3, "$M", "x.0.wasm", None)


def test_assert_return_prepares_args_and_matchers():
    command = parse_command({
        "type": "assert_return", "line": 10,
        "action": {"type": "invoke", "module": "$M", "field": "add",
                   "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "4294967295"}]},
        "expected": [{"type": "f32", "value": "nan:canonical"}],
    })
    assert command.error is None
    assert command.action.kind == "invoke"
    assert command.action.module == "$M"
    assert command.action.args == (1, 0xFFFFFFFF)
    (matcher,) = command.expected
    assert isinstance(matcher, FloatMatcher) and matcher.nan == "canonical"


def test_get_action_has_no_args():
    command = parse_command({"type": "assert_return", "line": 1, "action": {"type": "get", "field": "g"},
                             "expected": [{"type": "i64", "value": "5"}]})
    assert command.action.kind == "get" and command.action.args == ()


def test_command_level_either_becomes_one_either_result():
    command = parse_command({"type": "assert_return", "line": 2, "action": {"type": "invoke", "field": "f"},
                             "either": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]})
    (matcher,) = command.expected
    assert isinstance(matcher, EitherMatcher) and len(matcher.alternatives) == 2
    assert matcher.match(2) is None and matcher.match(3) is not None


def test_legacy_nan_commands_become_assert_return():
    command = parse_command({"type": "assert_return_arithmetic_nan", "line": 4,
                             "action": {"type": "invoke", "field": "f"}, "expected": [{"type": "f64"}]})
    assert command.type == "assert_return"
    (matcher,) = command.expected
    assert matcher.nan == "arithmetic" and matcher.vtype == "f64"


def test_trap_and_register_fields():
    trap = parse_command({"type": "assert_trap", "line": 5, "action": {"type": "invoke", "field": "f"},
                          "text": "unreachable", "expected": []})
    assert trap.text == "unreachable" and trap.expected is None
    register = parse_command({"type": "register", "line": 6, "as": "M", "name": "$N"})
    assert (register.as_name, register.name) == ("M", "$N")
    malformed = parse_command({"type": "assert_malformed", "line": 7, "filename": "a.wat", "text": "x",
                               "module_type": "text"})
    assert malformed.module_type == "text"


@pytest.mark.parametrize("data", [
    {"type": "assert_return", "line": 1, "expected": []},  # no action
    {"type": "assert_return", "line": 1, "action": {"type": "call", "field": "f"}, "expected": []},
    {"type": "assert_return", "line": 1, "action": {"type": "invoke", "field": "f"},
     "expected": [{"type": "i32", "value": "nope"}]},
    {"type": "module", "line": 1},  # no filename
    {"type": "register", "line": 1},  # no "as"
])
def test_bad_commands_carry_an_error_instead_of_raising(data):
    command = parse_command(data)
    assert command.error is not None and command.error.startswith("bad test data")
    assert command.line == 1


def test_command_without_type():
    command = parse_command({"line": 9})
    assert command.type == "unknown" and command.error


def _write_script(directory, name, commands, binaries=None):
    folder = directory / name
    folder.mkdir()
    (folder / f"{name}.json").write_text(json.dumps({"source_filename": f"{name}.wast", "commands": commands}))
    for filename, data in (binaries or {}).items():
        (folder / filename).write_bytes(data)
    return folder / f"{name}.json"


def test_load_script_caches_per_path_and_reads_binaries_once(tmp_path):
    clear_cache()
    path = _write_script(tmp_path, "demo", [{"type": "module", "line": 1, "filename": "demo.0.wasm"}],
                         {"demo.0.wasm": b"\0asm\1\0\0\0"})
    script = load_script(path)
    assert script.name == "demo" and len(script.commands) == 1
    assert load_script(path) is script
    assert script.binary("demo.0.wasm") == b"\0asm\1\0\0\0"
    (path.parent / "demo.0.wasm").write_bytes(b"changed")
    assert script.binary("demo.0.wasm") == b"\0asm\1\0\0\0"  # cached for the other engine configurations
    with pytest.raises(SpecFormatError):
        script.binary("missing.wasm")
    clear_cache()
    assert load_script(path) is not script


def test_load_script_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpecFormatError, match="invalid JSON"):
        load_script(bad)
    no_commands = tmp_path / "nc.json"
    no_commands.write_text("{}")
    with pytest.raises(SpecFormatError, match="commands"):
        load_script(no_commands)
    with pytest.raises(SpecFormatError, match="cannot read"):
        load_script(tmp_path / "absent.json")


def test_int_expected_parsed_once():
    command = parse_command({"type": "assert_return", "line": 1, "action": {"type": "invoke", "field": "f"},
                             "expected": [{"type": "i64", "value": "18446744073709551615"}]})
    (matcher,) = command.expected
    assert isinstance(matcher, IntMatcher) and matcher.expected == (1 << 64) - 1


# -- the wasm-tools dialect and the 3.0 commands -----------------------------------------

WT = Dialect.WASM_TOOLS


def test_script_reads_integers_in_the_dialect_it_detects():
    commands = [
        {"type": "module", "line": 1, "filename": "a.0.wasm", "module_type": "binary"},
        {"type": "assert_return", "line": 2, "action": {"type": "invoke", "field": "f",
                                                        "args": [{"type": "i32", "value": "-1"}]},
         "expected": [{"type": "i64", "value": "-2"}]},
    ]
    script = parse_script("a", None, {"commands": commands})
    assert script.dialect is WT
    command = script.commands[1]
    assert command.error is None and command.action.args == (0xFFFFFFFF,)
    assert command.expected[0].expected == (1 << 64) - 2
    # The same commands in wabt's format: -1 is bad data there.
    commands[0].pop("module_type")
    wabt = parse_script("a", None, {"commands": commands})
    assert wabt.dialect is Dialect.WABT
    assert "bad test data" in wabt.commands[1].error and "-1" in wabt.commands[1].error


def test_a_script_mixing_the_dialects_is_rejected():
    with pytest.raises(SpecFormatError, match="mixes"):
        parse_script("a", "a.json", {"commands": [
            {"type": "module", "line": 1, "filename": "a.0.wasm", "module_type": "binary"},
            {"type": "module", "line": 2, "filename": "a.1.wasm", "name": "$M"},
        ]})


def test_text_module_with_binary_filename_becomes_the_binary():
    command = parse_command({"type": "module", "line": 5, "filename": "a.3.wat", "module_type": "text",
                             "binary_filename": "a.3.wasm"}, WT)
    assert (command.filename, command.module_type) == ("a.3.wasm", "binary")
    malformed = parse_command({"type": "assert_malformed", "line": 6, "filename": "a.4.wat", "module_type": "text",
                               "text": "unknown operator"}, WT)
    assert (malformed.filename, malformed.module_type) == ("a.4.wat", "text")


def test_3_0_commands_are_parsed():
    definition = parse_command({"type": "module_definition", "line": 3, "name": "M", "filename": "i.0.wasm",
                                "module_type": "binary"}, WT)
    assert (definition.type, definition.name, definition.filename, definition.error) == (
        "module_definition", "M", "i.0.wasm", None)
    instance = parse_command({"type": "module_instance", "line": 10, "instance": "I1", "module": "M"}, WT)
    assert (instance.type, instance.instance, instance.definition) == ("module_instance", "I1", "M")
    exception = parse_command({"type": "assert_exception", "line": 39, "action": {
        "type": "invoke", "field": "throw-if", "args": [{"type": "i32", "value": "10"}]}}, WT)
    assert exception.error is None and exception.action.args == (10,)
    custom = parse_command({"type": "assert_invalid_custom", "line": 86, "filename": "b.3.wasm",
                            "module_type": "binary", "text": "invalid target"}, WT)
    assert custom.error is None and custom.filename == "b.3.wasm"
    either = parse_command({"type": "assert_return", "line": 13, "action": {"type": "invoke", "field": "f"},
                            "expected": [{"type": "either", "values": [{"type": "i32", "value": "-1"},
                                                                       {"type": "i32", "value": "1"}]}]}, WT)
    (matcher,) = either.expected
    assert isinstance(matcher, EitherMatcher) and matcher.match(0xFFFFFFFF) is None and matcher.match(1) is None


@pytest.mark.parametrize("data", [
    {"type": "module_definition", "line": 1, "module_type": "binary"},  # no filename
    {"type": "assert_exception", "line": 1},  # no action
    {"type": "module_instance", "line": 1, "instance": 5},
    {"type": "module", "line": 1, "filename": "a.wat", "module_type": "text", "binary_filename": 7},
    {"type": "module", "line": 1, "filename": "a.wasm", "module_type": "wasm"},
    {"type": "assert_return", "line": 1, "action": {"type": "invoke", "field": "f", "args": {}}, "expected": []},
    {"type": "assert_return", "line": 1, "action": {"type": "invoke", "field": "f"}, "expected": [
        {"type": "structref", "value": "3"}]},
])
def test_bad_3_0_commands_carry_an_error(data):
    command = parse_command(data, WT)
    assert command.error is not None and command.error.startswith("bad test data"), command
