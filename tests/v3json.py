"""TEMPORARY: a minimal runner for files of the 3.0 testsuite in wasm-tools' JSON dialect (v3-json).

Only until ``pywaz spectest`` reads that dialect (issue 12, item 1): then the
relaxed SIMD and extended-const files run through the real harness and this
module goes. It knows just what those files use: binary modules (named,
registered), ``assert_return`` (``either`` included) and ``action`` on
invoked functions and globals, ``assert_trap``, ``assert_invalid``,
binary ``assert_malformed``, ``assert_unlinkable`` and
``assert_uninstantiable`` (by error class), and the values i32/i64 (signed
decimal), f32/f64 (bit patterns, ``nan:canonical``/``nan:arithmetic``), v128
(signed integer lanes, float lanes as bit patterns) and null or non-null
references. Text modules are reported as skipped.

Data: ``$PYWAZ_TESTSUITE_V3`` or ``<repo>/../shared/wasm-testsuite/v3-json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pywaz import DecodeError, LinkError, Runtime, Trap, ValidationError
from pywaz.numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits

_REPO = Path(__file__).resolve().parents[1]
_CANDIDATE = Path(os.environ.get("PYWAZ_TESTSUITE_V3") or _REPO.parent / "shared" / "wasm-testsuite" / "v3-json")
V3_JSON: Path | None = _CANDIDATE if _CANDIDATE.is_dir() else None
"""The v3-json folder, or None when it is not there (tests then skip)."""

MISSING = "3.0 testsuite (v3-json) not found: set PYWAZ_TESTSUITE_V3 or place it at ../shared/wasm-testsuite/v3-json"

_WIDTH = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}
_NAN = {32: (0x7F800000, 0x00400000, 0x007FFFFF), 64: (0x7FF0000000000000, 0x0008000000000000, 0xFFFFFFFFFFFFF)}
_SPECTEST_GLOBALS = (("global_i32", "i32", 666), ("global_i64", "i64", 666))


def _bits(text: str, width: int) -> int:
    return int(text) & ((1 << width) - 1)  # signed (integers) or unsigned (float bit patterns) decimal


def argument(value: dict):
    """A JSON argument as the raw value ``call_raw`` takes."""
    kind = value["type"]
    if kind in ("i32", "i64"):
        return _bits(value["value"], _WIDTH[kind])
    if kind == "f32":
        return f32_from_bits(_bits(value["value"], 32))
    if kind == "f64":
        return f64_from_bits(_bits(value["value"], 64))
    if kind == "v128":
        width = _WIDTH[value["lane_type"]]
        return sum(_bits(lane, width) << (i * width) for i, lane in enumerate(value["value"]))
    if value.get("value") == "null":
        return None
    if kind == "externref":
        return host_ref(int(value["value"]))
    raise ValueError(f"unsupported argument {value}")


class HostRef:
    """``ref.extern N``: one object per N, compared by identity."""

    __slots__ = ("number",)

    def __init__(self, number: int):
        self.number = number

    def __repr__(self) -> str:
        return f"ref.extern {self.number}"


_HOST_REFS: dict[int, HostRef] = {}


def host_ref(number: int) -> HostRef:
    """The :class:`HostRef` for ``number`` (always the same object)."""
    return _HOST_REFS.setdefault(number, HostRef(number))


def _float_matches(text: str, bits: int, width: int) -> bool:
    exponent, quiet, payload = _NAN[width]
    if text == "nan:canonical":
        return bits & exponent == exponent and bits & payload == quiet
    if text == "nan:arithmetic":
        return bits & exponent == exponent and bits & quiet == quiet
    return bits == _bits(text, width)


def matches(expected: dict, actual) -> bool:
    """Whether raw result ``actual`` is what ``expected`` (one JSON value, ``either`` included) allows."""
    kind = expected["type"]
    if kind == "either":
        return any(matches(alternative, actual) for alternative in expected["values"])
    if kind in ("i32", "i64"):
        return actual == _bits(expected["value"], _WIDTH[kind])
    if kind == "f32":
        return type(actual) is float and _float_matches(expected["value"], f32_to_bits(actual), 32)
    if kind == "f64":
        return type(actual) is float and _float_matches(expected["value"], f64_to_bits(actual), 64)
    if kind == "v128":
        width = _WIDTH[expected["lane_type"]]
        lanes = [(actual >> (i * width)) & ((1 << width) - 1) for i in range(128 // width)]
        if expected["lane_type"] in ("f32", "f64"):
            return all(_float_matches(text, lane, width) for text, lane in zip(expected["value"], lanes))
        return lanes == [_bits(text, width) for text in expected["value"]]
    if expected.get("value") == "null":
        return actual is None
    if kind == "externref" and "value" in expected:
        return actual is host_ref(int(expected["value"]))
    if "value" not in expected:
        return actual is not None
    raise ValueError(f"unsupported expected value {expected}")


@dataclass
class Outcome:
    """What running one file gave: counts and one line per failed or skipped command."""

    passed: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def run_file(name: str, engine: str, compile_mode: str | None = None) -> Outcome:
    """Run every command of ``v3-json/<name>/<name>.json`` in a fresh runtime."""
    folder = V3_JSON / name
    commands = json.loads((folder / f"{name}.json").read_text())["commands"]
    outcome = Outcome()
    with Runtime(engine=engine, compile_mode=compile_mode) as runtime:
        builder = runtime.new_host_module("spectest")
        for global_name, valtype, value in _SPECTEST_GLOBALS:
            builder = builder.global_(global_name, valtype, value)
        builder = builder.table("table", "funcref", 10, 20).memory("memory", 1, 2)
        runtime.register("spectest", builder.instantiate())
        instances: dict[str | None, object] = {}
        for command in commands:
            where = f"{name}:{command['line']} {command['type']}"
            try:
                _run(command, folder, runtime, instances)
            except _Skip as skip:
                outcome.skipped.append(f"{where}: {skip}")
            except AssertionError as failure:
                outcome.failures.append(f"{where}: {failure}")
            except Exception as error:  # noqa: BLE001 - any other error is a failure of that command
                outcome.failures.append(f"{where}: unexpected {_describe(error)}")
            else:
                outcome.passed += 1
    return outcome


class _Skip(Exception):
    pass


def _binary(command: dict, folder: Path) -> bytes:
    if command.get("module_type") == "text":
        raise _Skip("text module")
    return (folder / command["filename"]).read_bytes()


def _invoke(action: dict, instances: dict):
    instance = instances[action.get("module")]
    if action["type"] == "get":
        return instance.exports[action["field"]].value
    return instance.exports[action["field"]].call_raw(*[argument(a) for a in action["args"]])


def _expect_error(classes, call, text: str) -> None:
    try:
        call()
    except classes:
        return
    except _Skip:
        raise
    except Exception as error:  # noqa: BLE001
        raise AssertionError(f"expected {text!r}, got {_describe(error)}") from None
    raise AssertionError(f"expected {text!r}, but it succeeded")


def _run(command: dict, folder: Path, runtime, instances: dict) -> None:
    kind = command["type"]
    if kind == "module":
        instance = runtime.instantiate(_binary(command, folder))
        instances[None] = instance
        if command.get("name"):
            instances[command["name"]] = instance
    elif kind == "register":
        runtime.register(command["as"], instances[command.get("name")])
    elif kind in ("assert_return", "action"):
        results = _invoke(command["action"], instances)
        if kind == "action":
            return
        expected = command["expected"]
        actual = list(results) if isinstance(results, (tuple, list)) else [] if results is None else [results]
        if len(expected) == 1 and len(actual) != 1:
            actual = [results]
        assert len(actual) == len(expected), f"{len(expected)} results expected, got {results!r}"
        for want, got in zip(expected, actual):
            assert matches(want, got), f"expected {want}, got {got!r}"
    elif kind == "assert_trap":
        if "action" in command:
            _expect_error(Trap, lambda: _invoke(command["action"], instances), command["text"])
        else:
            _expect_error(Trap, lambda: runtime.instantiate(_binary(command, folder)), command["text"])
    elif kind == "assert_uninstantiable":
        _expect_error(Trap, lambda: runtime.instantiate(_binary(command, folder)), command["text"])
    elif kind == "assert_unlinkable":
        _expect_error(LinkError, lambda: runtime.instantiate(_binary(command, folder)), command["text"])
    elif kind == "assert_invalid":
        _expect_error(ValidationError, lambda: runtime.compile_module(_binary(command, folder)), command["text"])
    elif kind == "assert_malformed":
        _expect_error(DecodeError, lambda: runtime.compile_module(_binary(command, folder)), command["text"])
    else:
        raise _Skip(f"command type {kind} is not handled by this temporary reader")
