"""The argument contract of ``ExportedFunction.call_raw``: raw canonical values, checked.

Enters a function type's parameter types and the arguments a caller passed;
leaves the same tuple (or an equivalent one of exact ``int``/``float``) or an
:class:`~pywaz.errors.ArgumentError`. "Raw" is the representation of
:mod:`pywaz.numeric`, which engines rely on without checking:

* i32 / i64: an ``int`` in ``[0, 2**32)`` / ``[0, 2**64)`` (unsigned; no bool);
* f64: a ``float``; f32: a ``float`` exactly representable as an f32 (a NaN
  widened as :func:`~pywaz.numeric.f32_from_bits` does: the low 29 payload bits
  zero);
* v128: an ``int`` in ``[0, 2**128)``;
* funcref: a :class:`~pywaz.vm.objects.Function` of the calling runtime, or None;
* externref: any object (None is null).

Engines assume this form and do not agree on anything else: the compiler
masks an i32 sum only when it exceeds ``0x3FFFFFFF`` (right for unsigned
inputs), the interpreter always masks, so ``-1 + 0`` gave -1 in one and
4294967295 in the other, and ``1.5 + 2`` 3.5 in one and a TypeError from deep
inside the other. So ``call_raw`` checks the form at the boundary. The
check is one generated expression per parameter-type tuple -- a class test
and a range test per argument, no loop, no allocation -- and only a failing
check takes the slow path, which normalises int/float subclasses or names the
bad argument.
"""

from __future__ import annotations

import struct
import threading

from ..errors import ArgumentError
from ..ir import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128, ref_parts, valtype_name
from ..numeric import f32_round, f64_to_bits
from .objects import Function
from .values import check_owner, owner_runtime, ref_to_raw

_RANGE_CHECKS = {I32: 0xFFFFFFFF, I64: 0xFFFFFFFFFFFFFFFF, V128: (1 << 128) - 1}

_F32 = struct.Struct("<f")

_checks: dict[tuple[int, ...], object] = {}
_checks_lock = threading.Lock()


def is_f32(value: float) -> bool:
    """Whether the float ``value`` is a raw f32 (exactly representable; NaNs widened from f32 bits)."""
    if value != value:
        # f32_from_bits puts the 23-bit payload at the top of the f64 payload.
        return f64_to_bits(value) & 0x1FFFFFFF == 0
    return f32_round(value) == value


def _funcref_ok(value, runtime) -> bool:
    if value is None:
        return True
    if not isinstance(value, Function):
        return False
    owner = owner_runtime(value)
    return owner is None or runtime is None or owner is runtime


def _term(index: int, valtype: int) -> str:
    name = f"a{index}"
    if valtype in _RANGE_CHECKS:
        return f"{name}.__class__ is int and 0 <= {name} <= {_RANGE_CHECKS[valtype]}"
    if valtype == F64:
        return f"{name}.__class__ is float"
    if valtype == F32:
        # The struct round trip inline (the common, non-NaN case); NaNs fail the
        # equality and are decided by is_f32, huge values raise OverflowError.
        return f"{name}.__class__ is float and (f32_unpack(f32_pack({name}))[0] == {name} or is_f32({name}))"
    if valtype == FUNCREF:
        return f"funcref_ok({name}, runtime)"
    if valtype == EXTERNREF:
        return "True"
    return "False"  # an unknown type: the slow path names it


def raw_check(params: tuple[int, ...]):
    """``check(args, runtime) -> bool``: whether ``args`` are raw canonical arguments for ``params``.

    Generated once per parameter-type tuple and shared; for ``(i32, i32)``::

        def check(args, runtime):
            if len(args) != 2:
                return False
            a0, a1 = args
            return a0.__class__ is int and 0 <= a0 <= 4294967295 and a1.__class__ is int and ...
    """
    found = _checks.get(params)
    if found is not None:
        return found
    names = ", ".join(f"a{i}" for i in range(len(params)))
    terms = " and ".join(f"({_term(i, t)})" for i, t in enumerate(params)) or "True"
    unpack = f"    {names}, = args\n" if params else ""
    if F32 in params:  # struct.pack raises OverflowError for finite values beyond the f32 range
        body = f"    try:\n        return {terms}\n    except OverflowError:\n        return False\n"
    else:
        body = f"    return {terms}\n"
    source = (
        "def check(args, runtime):\n"
        f"    if len(args) != {len(params)}:\n"
        "        return False\n"
        f"{unpack}{body}"
    )
    namespace = {"is_f32": is_f32, "funcref_ok": _funcref_ok, "f32_pack": _F32.pack, "f32_unpack": _F32.unpack}
    exec(compile(source, f"<pywaz raw check {params}>", "exec"), namespace)
    with _checks_lock:
        return _checks.setdefault(params, namespace["check"])


def raw_arguments(params: tuple[int, ...], args: tuple, runtime, name: str) -> tuple:
    """``args`` as exact raw values for ``params``: the slow path after :func:`raw_check` failed.

    int and float subclasses (an ``IntEnum``, say) become plain ``int``/``float``.

    Raises:
        ArgumentError: wrong count, or an argument outside the raw contract (the
            message names it and says what was expected).
    """
    if len(args) != len(params):
        raise ArgumentError(f"{name}() takes {len(params)} raw argument(s), got {len(args)}")
    out = []
    for index, (valtype, value) in enumerate(zip(params, args)):
        what = f"{name}() argument {index}"
        out.append(_raw_value(valtype, value, what, runtime))
    return tuple(out)


def _raw_value(valtype: int, value, what: str, runtime):
    type_name = valtype_name(valtype)
    if valtype in _RANGE_CHECKS:
        high = _RANGE_CHECKS[valtype]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"{what}: expected a raw {type_name} (an int), got {type(value).__name__}")
        if not 0 <= value <= high:
            bits = high.bit_length()
            raise ArgumentError(
                f"{what}: {value} is not a raw {type_name} (unsigned, 0 <= v < 2**{bits}; "
                f"call the function without call_raw to pass signed values)"
            )
        return int(value)
    if valtype == F32 or valtype == F64:
        if not isinstance(value, float):
            raise ArgumentError(f"{what}: expected a raw {type_name} (a float), got {type(value).__name__}")
        value = float(value)
        if valtype == F32 and not is_f32(value):
            raise ArgumentError(
                f"{what}: {value!r} is not a raw f32 (not exactly representable; call the function "
                "without call_raw to have it rounded)"
            )
        return value
    if valtype == FUNCREF:
        if value is not None and not isinstance(value, Function):
            raise ArgumentError(
                f"{what}: expected a raw funcref (a pywaz.vm.objects.Function, e.g. .function of an "
                f"exported function, or None), got {type(value).__name__}"
            )
        if value is not None:
            check_owner(value, runtime, what)
        return value
    if valtype == EXTERNREF:
        return value
    if ref_parts(valtype) is not None:  # typed and GC references: checked (and host objects internalized)
        return ref_to_raw(valtype, value, what, runtime)
    raise ArgumentError(f"{what}: unsupported value type {type_name}")


__all__ = ["is_f32", "raw_arguments", "raw_check"]
