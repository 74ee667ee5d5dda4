"""``pywaz run --invoke NAME ARGS``: how one argument's text becomes a value of its parameter's type.

In-process tests of :func:`pywaz.cli.run.parse_value` and the printing of f32
results; ``test_cli_run_errors.py`` runs the same paths through the command line.
"""

from __future__ import annotations

import math
import struct

import pytest

from pywaz.cli.run import F32_MAX, RunFailure, format_value, parse_value
from pywaz.ir import F32, F64, I32, I64, V128


@pytest.mark.parametrize(
    "valtype, text, value",
    [
        (I32, "7", 7),
        (I32, "-1", -1),
        (I32, "4294967295", 4294967295),
        (I32, "0x10", 16),
        (I32, "-0x10", -16),
        (I32, "010", 10),  # leading zeros are decimal, not an error (int(text, 0) refuses them)
        (I32, "1_000", 1000),
        (I64, "-9223372036854775808", -(1 << 63)),
        (V128, "0x" + "ff" * 16, (1 << 128) - 1),
    ],
)
def test_integers(valtype, text, value):
    assert parse_value(valtype, text, 0) == value


@pytest.mark.parametrize("valtype", [I32, I64])
@pytest.mark.parametrize("text", ["1.5", "abc", "1e3", "0x", "", "nan", "inf"])
def test_an_integer_parameter_says_it_wants_an_integer(valtype, text):
    with pytest.raises(RunFailure) as info:
        parse_value(valtype, text, 1)
    assert info.value.code == 2
    assert info.value.message == (
        f"--invoke argument 2 ({'i32' if valtype == I32 else 'i64'}): {text!r} is not an integer (decimal or 0x hex)"
    )


@pytest.mark.parametrize("valtype, text", [(I32, "4294967296"), (I32, "-2147483649"), (I64, str(1 << 64))])
def test_integers_out_of_range(valtype, text):
    with pytest.raises(RunFailure, match="out of range"):
        parse_value(valtype, text, 0)


@pytest.mark.parametrize("valtype", [F32, F64])
@pytest.mark.parametrize(
    "text, value",
    [("1.5", 1.5), ("-0", -0.0), ("inf", math.inf), ("-Infinity", -math.inf), ("0x1.8p3", 12.0), ("1e-3", 0.001)],
)
def test_floats(valtype, text, value):
    parsed = parse_value(valtype, text, 0)
    assert parsed == value and math.copysign(1, parsed) == math.copysign(1, value)


@pytest.mark.parametrize("valtype", [F32, F64])
@pytest.mark.parametrize("text", ["nan", "-nan", "NaN"])
def test_nan_is_accepted_for_floats(valtype, text):
    assert math.isnan(parse_value(valtype, text, 0))


@pytest.mark.parametrize("valtype", [F32, F64])
@pytest.mark.parametrize("text", ["abc", "1.5.2", "0x", "", "1,5"])
def test_a_float_parameter_says_it_wants_a_number(valtype, text):
    with pytest.raises(RunFailure) as info:
        parse_value(valtype, text, 0)
    assert info.value.code == 2 and f"{text!r} is not a number" in info.value.message


@pytest.mark.parametrize("valtype, text", [(F64, "1e400"), (F64, "-0x1p5000"), (F32, "1e39"), (F32, "3.5e38")])
def test_finite_literals_too_large_for_the_type_are_out_of_range(valtype, text):
    with pytest.raises(RunFailure, match="out of range"):
        parse_value(valtype, text, 0)


def test_the_printed_f32_maximum_reads_back_as_the_maximum():
    """3.4028235e+38 is above F32_MAX as an f64, but rounds to it as an f32 (below the overflow threshold)."""
    printed = format_value(F32, F32_MAX)
    assert printed == "3.4028235e+38"
    assert parse_value(F32, printed, 0) == F32_MAX
    assert parse_value(F32, "-" + printed, 0) == -F32_MAX
    assert struct.pack("<f", parse_value(F32, "3.4028235e38", 0)) == b"\xff\xff\x7f\x7f"


GC_MODULE = """
(module
  (type $p (struct (field i32)))
  (func (export "x") (param (ref $p)) (result i32) (struct.get $p 0 (local.get 0)))
  (func (export "id") (param anyref) (result anyref) (local.get 0))
)
"""


def test_gc_reference_parameters_take_null_or_an_i31(tmp_path):
    """--invoke passes null to any reference and an integer (an i31) to the any hierarchy; wrong ones are usage or
    argument errors, never a traceback."""
    import subprocess
    import sys

    module = tmp_path / "gc.wat"
    module.write_text(GC_MODULE)

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "pywaz", "run", "--no-cache", "--engine", "interpreter",
                               "--invoke", *args[:1], str(module), *args[1:]], capture_output=True, text=True,
                              check=False)
        return proc.returncode, proc.stdout.strip(), proc.stderr.strip()

    assert run("id", "7") == (0, "7", "")
    assert run("id", "null") == (0, "null", "")
    code, _, err = run("id", "x")
    assert code == 2 and "an integer (an i31)" in err
    code, _, err = run("x", "null")
    assert code == 1 and "ArgumentError" in err and "non-nullable" in err and "Traceback" not in err
