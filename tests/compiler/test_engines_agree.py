"""Compiler vs interpreter on every invoke of spec files, bit for bit.

The two pywaz engines must agree exactly (every result bit for bit, except
that any NaN equals any NaN: which arithmetic NaN an operation returns is
nondeterministic in the spec), and on every trap kind,
for every ``invoke`` of the selected scripts (assert_return, assert_trap,
assert_exhaustion and bare actions), with module state carried along.
"""

from __future__ import annotations

import pytest

from pywaz import Runtime, Trap
from pywaz.numeric import f64_to_bits
from pywaz.spectest import TestsuiteNotFound, find_testsuite, list_files, load_script
from pywaz.spectest.host import build_spectest

FILES = (
    "br_table",
    "call_indirect",
    "conversions",
    "f32",
    "f32_bitwise",
    "f64",
    "f64_bitwise",
    "float_exprs",
    "float_memory",
    "float_misc",
    "i32",
    "i64",
    "int_exprs",
    "left-to-right",
    "local_tee",
    "memory_grow",
    "memory_trap",
    "select",
    "table_copy",
    "traps",
    "unwind",
)


def _spec_files():
    try:
        root = find_testsuite()
    except TestsuiteNotFound:
        return {}
    return {f.name: f for f in list_files(root)}


SPEC_FILES = _spec_files()


def _canonical(value):
    """A comparable form of a raw result: floats by bit pattern, references by identity class."""
    if isinstance(value, tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, float):
        # Which NaN an operation returns is nondeterministic in the spec (any
        # arithmetic NaN), so NaNs compare as a class; everything else by bits.
        return ("float", "nan" if value != value else f64_to_bits(value))
    if value is None or isinstance(value, int):
        return value
    return ("ref", type(value).__name__)


class _Side:
    def __init__(self, engine: str, mode: str | None):
        self.runtime = Runtime(engine=engine, compile_mode=mode)
        build_spectest(self.runtime)
        self.current = None
        self.named = {}

    def module(self, data: bytes, name: str | None):
        try:
            self.current = self.runtime.instantiate(data)
        except Exception as exc:  # noqa: BLE001 -- compared between the two engines
            self.current = None
            return ("error", type(exc).__name__, str(exc))
        if name:
            self.named[name] = self.current
        return ("ok",)

    def invoke(self, action):
        instance = self.named.get(action.module) if action.module else self.current
        if instance is None:
            return ("no instance",)
        try:
            return ("value", _canonical(instance.exports[action.field].call_raw(*action.args)))
        except Trap as trap:
            return ("trap", trap.kind.value)


@pytest.mark.parametrize("name", FILES)
def test_compiler_and_interpreter_agree_on_every_invoke(name):
    if name not in SPEC_FILES:
        pytest.skip("spec testsuite not found")
    script = load_script(SPEC_FILES[name].path, name)
    compiled = _Side("compiler", "lazy")
    interpreted = _Side("interpreter", None)
    invokes = 0
    returned = 0
    for command in script.commands:
        if command.error:
            continue
        if command.type == "module" and command.module_type == "binary":
            data = script.binary(command.filename)
            assert compiled.module(data, command.name) == interpreted.module(data, command.name), command.line
        elif command.type == "register":
            for side in (compiled, interpreted):
                instance = side.named.get(command.name) if command.name else side.current
                side.runtime.register(command.as_name, instance)
        elif command.action is not None and command.action.kind == "invoke":
            invokes += 1
            got = compiled.invoke(command.action)
            expected = interpreted.invoke(command.action)
            assert got == expected, (name, command.line, command.action.describe())
            returned += got[0] in ("value", "trap")
    assert invokes > 0 and returned > 0
