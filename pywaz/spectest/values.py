"""Values of the spec-test JSON format: arguments in, result matchers out.

wabt's ``wast2json`` writes every value as ``{"type": T, "value": V}`` with V
the unsigned decimal bit pattern (see the testsuite README). Arguments become
raw values in pywaz's representation (:mod:`pywaz.numeric`); expected results
become matcher objects whose ``match(actual)`` returns None when the raw result
is right and a short reason when it is not. Floats are compared bit for bit;
``nan:canonical`` and ``nan:arithmetic`` are the spec's NaN classes (execution
§4.3.3), checked per lane for v128.
"""

from __future__ import annotations

from ..numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from ..vm.objects import Function


class SpecFormatError(ValueError):
    """A JSON command or value the harness does not understand."""


class HostRef:
    """The host reference ``ref.extern N``: an opaque object identified by N.

    Interned through :func:`host_ref`, so equal N means the same object and
    matchers can compare with ``is``.
    """

    __slots__ = ("number",)

    def __init__(self, number: int):
        self.number = number

    def __repr__(self) -> str:
        return f"ref.extern {self.number}"


_host_refs: dict[int, HostRef] = {}


def host_ref(number: int) -> HostRef:
    """The unique :class:`HostRef` for ``number``."""
    ref = _host_refs.get(number)
    if ref is None:
        ref = _host_refs.setdefault(number, HostRef(number))
    return ref


# Lane shapes of a v128 value in the JSON format: lane_type -> (lane bits, lane count).
LANE_SHAPES = {"i8": (8, 16), "i16": (16, 8), "i32": (32, 4), "i64": (64, 2), "f32": (32, 4), "f64": (64, 2)}

_BITS = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}
_F32_EXP = 0x7F800000
_F32_QUIET = 0x00400000
_F64_EXP = 0x7FF0000000000000
_F64_QUIET = 0x0008000000000000


def _bit_pattern(text, bits: int, what: str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise SpecFormatError(f"{what}: expected a decimal bit pattern, got {text!r}") from None
    if not 0 <= value < (1 << bits):
        raise SpecFormatError(f"{what}: {value} does not fit in {bits} bits")
    return value


def _lanes_to_int(lane_type, lanes) -> int:
    shape = LANE_SHAPES.get(lane_type)
    if shape is None:
        raise SpecFormatError(f"v128: unknown lane_type {lane_type!r}")
    bits, count = shape
    if not isinstance(lanes, list) or len(lanes) != count:
        raise SpecFormatError(f"v128 {lane_type}: expected {count} lanes, got {lanes!r}")
    result = 0
    for i, lane in enumerate(lanes):
        result |= _bit_pattern(lane, bits, f"v128 {lane_type} lane {i}") << (i * bits)
    return result


def parse_arg(value: dict):
    """Convert one JSON argument to a raw pywaz value.

    Raises:
        SpecFormatError: unknown type or a malformed value.
    """
    if not isinstance(value, dict):
        raise SpecFormatError(f"value must be an object, got {value!r}")
    vtype = value.get("type")
    text = value.get("value")
    if vtype == "i32" or vtype == "i64":
        return _bit_pattern(text, _BITS[vtype], vtype)
    if vtype == "f32":
        return f32_from_bits(_bit_pattern(text, 32, vtype))
    if vtype == "f64":
        return f64_from_bits(_bit_pattern(text, 64, vtype))
    if vtype == "v128":
        return _lanes_to_int(value.get("lane_type"), text)
    if vtype == "funcref" or vtype == "externref":
        if text == "null":
            return None
        if vtype == "externref":
            return host_ref(_bit_pattern(text, 64, vtype))
        raise SpecFormatError(f"funcref argument {text!r}: only null can be written as an argument")
    raise SpecFormatError(f"unknown value type {vtype!r}")


def format_raw(vtype: str, raw) -> str:
    """A readable rendering of a raw result for failure messages."""
    try:
        if vtype in ("i32", "i64") and isinstance(raw, int):
            return f"{vtype}:{raw} (0x{raw:x})"
        if vtype == "f32" and isinstance(raw, float):
            return f"f32:{raw!r} (0x{f32_to_bits(raw):08x})"
        if vtype == "f64" and isinstance(raw, float):
            return f"f64:{raw!r} (0x{f64_to_bits(raw):016x})"
        if vtype == "v128" and isinstance(raw, int):
            return f"v128:0x{raw:032x}"
    except (OverflowError, ValueError, TypeError):
        pass
    return f"{type(raw).__name__}:{raw!r}"


class Matcher:
    """Base of the result matchers: ``match(actual)`` is None or a mismatch reason."""

    __slots__ = ()
    vtype = "?"

    def match(self, actual) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError


class IntMatcher(Matcher):
    __slots__ = ("vtype", "bits", "expected")

    def __init__(self, vtype: str, expected: int):
        self.vtype = vtype
        self.bits = _BITS[vtype]
        self.expected = expected

    def match(self, actual):
        if type(actual) is not int:
            return f"expected {self.vtype} int, got {format_raw(self.vtype, actual)}"
        if not 0 <= actual < (1 << self.bits):
            return f"{self.vtype} result {actual} is not in unsigned canonical form"
        if actual != self.expected:
            return f"expected {format_raw(self.vtype, self.expected)}, got {format_raw(self.vtype, actual)}"
        return None

    def __repr__(self) -> str:
        return f"{self.vtype}:{self.expected}"


def _float_bits(vtype: str, actual):
    """The bit pattern of a raw float result, or None if it is not a valid one.

    An f32 result must be a float that holds an f32 value exactly (NaN payload
    widened as :func:`pywaz.numeric.f32_from_bits` does); converting anything
    else would round and hide a missing ``f32_round`` in an engine.
    """
    if type(actual) is not float:
        return None
    if vtype == "f64":
        return f64_to_bits(actual)
    try:
        bits = f32_to_bits(actual)
    except OverflowError:
        return None
    if f64_to_bits(f32_from_bits(bits)) != f64_to_bits(actual):
        return None
    return bits


class FloatMatcher(Matcher):
    """Bit-exact float, or a NaN class: ``nan`` is None, "canonical" or "arithmetic"."""

    __slots__ = ("vtype", "expected", "nan")

    def __init__(self, vtype: str, expected: int | None, nan: str | None = None):
        self.vtype = vtype
        self.expected = expected
        self.nan = nan

    def match_bits(self, bits: int) -> bool:
        if self.nan is None:
            return bits == self.expected
        if self.vtype == "f32":
            exp, quiet, payload = _F32_EXP, _F32_QUIET, 0x007FFFFF
        else:
            exp, quiet, payload = _F64_EXP, _F64_QUIET, 0x000FFFFFFFFFFFFF
        if bits & exp != exp:
            return False
        if self.nan == "canonical":
            return bits & payload == quiet
        return bits & quiet == quiet

    def describe(self) -> str:
        if self.nan is not None:
            return f"{self.vtype}:nan:{self.nan}"
        width = 8 if self.vtype == "f32" else 16
        value = f32_from_bits(self.expected) if self.vtype == "f32" else f64_from_bits(self.expected)
        return f"{self.vtype}:{value!r} (0x{self.expected:0{width}x})"

    def match(self, actual):
        bits = _float_bits(self.vtype, actual)
        if bits is None:
            return f"expected an exact {self.vtype} float, got {type(actual).__name__}:{actual!r}"
        if not self.match_bits(bits):
            return f"expected {self.describe()}, got {format_raw(self.vtype, actual)}"
        return None

    def __repr__(self) -> str:
        return self.describe()


class V128Matcher(Matcher):
    """A v128 compared lane by lane; float lanes may be NaN classes."""

    __slots__ = ("lane_type", "lanes", "bits")
    vtype = "v128"

    def __init__(self, lane_type: str, lanes: tuple):
        self.lane_type = lane_type
        self.bits = LANE_SHAPES[lane_type][0]
        self.lanes = lanes  # ints, or FloatMatcher for NaN-class float lanes

    def match(self, actual):
        if type(actual) is not int or not 0 <= actual < (1 << 128):
            return f"expected v128 (128-bit unsigned int), got {format_raw('v128', actual)}"
        mask = (1 << self.bits) - 1
        for i, lane in enumerate(self.lanes):
            got = (actual >> (i * self.bits)) & mask
            ok = lane.match_bits(got) if isinstance(lane, FloatMatcher) else got == lane
            if not ok:
                return f"expected {self!r}, got v128:0x{actual:032x} (lane {i} is {got:#x})"
        return None

    def __repr__(self) -> str:
        shown = " ".join(f"nan:{lane.nan}" if isinstance(lane, FloatMatcher) else hex(lane) for lane in self.lanes)
        return f"v128 {self.lane_type}x{len(self.lanes)} [{shown}]"


class RefMatcher(Matcher):
    """``ref.null``, ``ref.extern N`` or any non-null reference (``expected`` is ANY)."""

    __slots__ = ("vtype", "expected")
    ANY = object()

    def __init__(self, vtype: str, expected):
        self.vtype = vtype
        self.expected = expected

    def match(self, actual):
        if self.expected is None:
            return None if actual is None else f"expected ref.null, got {actual!r}"
        if self.expected is RefMatcher.ANY:
            if actual is None:
                return f"expected a non-null {self.vtype}, got ref.null"
            if self.vtype == "funcref" and not isinstance(actual, Function):
                return f"expected a function reference, got {actual!r}"
            return None
        return None if actual is self.expected else f"expected {self.expected!r}, got {actual!r}"

    def __repr__(self) -> str:
        if self.expected is None:
            return f"ref.null {self.vtype}"
        return f"any {self.vtype}" if self.expected is RefMatcher.ANY else repr(self.expected)


class EitherMatcher(Matcher):
    """Matches when any alternative matches (the ``either`` result form)."""

    __slots__ = ("alternatives",)
    vtype = "either"

    def __init__(self, alternatives: tuple):
        self.alternatives = alternatives

    def match(self, actual):
        reasons = []
        for alternative in self.alternatives:
            reason = alternative.match(actual)
            if reason is None:
                return None
            reasons.append(reason)
        return "no alternative matched: " + "; ".join(reasons)

    def __repr__(self) -> str:
        return "either(" + ", ".join(map(repr, self.alternatives)) + ")"


def _nan_class(text) -> str | None:
    if text == "nan:canonical":
        return "canonical"
    if text == "nan:arithmetic":
        return "arithmetic"
    return None


def parse_expected(value: dict) -> Matcher:
    """Convert one JSON expected value to a :class:`Matcher`.

    Raises:
        SpecFormatError: unknown type or a malformed value.
    """
    if not isinstance(value, dict):
        raise SpecFormatError(f"expected value must be an object, got {value!r}")
    vtype = value.get("type")
    text = value.get("value")
    if vtype == "either":
        return EitherMatcher(tuple(parse_expected(v) for v in value.get("values", ())))
    if vtype == "i32" or vtype == "i64":
        return IntMatcher(vtype, _bit_pattern(text, _BITS[vtype], vtype))
    if vtype == "f32" or vtype == "f64":
        nan = _nan_class(text)
        if nan is not None:
            return FloatMatcher(vtype, None, nan)
        return FloatMatcher(vtype, _bit_pattern(text, _BITS[vtype], vtype))
    if vtype == "v128":
        lane_type = value.get("lane_type")
        shape = LANE_SHAPES.get(lane_type)
        if shape is None:
            raise SpecFormatError(f"v128: unknown lane_type {lane_type!r}")
        bits, count = shape
        if not isinstance(text, list) or len(text) != count:
            raise SpecFormatError(f"v128 {lane_type}: expected {count} lanes, got {text!r}")
        lanes = []
        for i, lane in enumerate(text):
            nan = _nan_class(lane)
            if nan is not None:
                if lane_type not in ("f32", "f64"):
                    raise SpecFormatError(f"v128 {lane_type} lane {i}: NaN class on an integer lane")
                lanes.append(FloatMatcher(lane_type, None, nan))
            else:
                lanes.append(_bit_pattern(lane, bits, f"v128 {lane_type} lane {i}"))
        return V128Matcher(lane_type, tuple(lanes))
    if vtype == "funcref" or vtype == "externref":
        if "value" not in value:
            return RefMatcher(vtype, RefMatcher.ANY)
        if text == "null":
            return RefMatcher(vtype, None)
        if vtype == "externref":
            return RefMatcher(vtype, host_ref(_bit_pattern(text, 64, vtype)))
        raise SpecFormatError(f"funcref result {text!r}: only null or any can be expected")
    raise SpecFormatError(f"unknown value type {vtype!r}")


def match_results(matchers: tuple, actual) -> str | None:
    """Compare a raw call result with the expected matchers.

    A function with no result returns None, one result the value itself, and
    several a tuple (the calling convention in :mod:`pywaz.vm.objects`).
    """
    count = len(matchers)
    if count == 1:
        values = (actual,)
    elif count == 0:
        if actual is None or actual == ():
            return None
        return f"expected no results, got {actual!r}"
    else:
        if not isinstance(actual, (tuple, list)):
            return f"expected {count} results, got {actual!r}"
        values = actual
    if len(values) != count:
        return f"expected {count} results, got {len(values)}: {values!r}"
    for i, (matcher, value) in enumerate(zip(matchers, values)):
        reason = matcher.match(value)
        if reason is not None:
            return reason if count == 1 else f"result {i}: {reason}"
    return None
