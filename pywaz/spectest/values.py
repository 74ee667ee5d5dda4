"""Values of the spec-test JSON formats: arguments in, result matchers out.

Both converters write every value as ``{"type": T, "value": V}`` (see the
testsuite README and ``v3-json/README.md``). wabt's ``wast2json`` writes
i32/i64 values and integer v128 lanes as unsigned decimal bit patterns,
wasm-tools' ``json-from-wast`` as signed decimals; the :class:`Dialect` of
the file says which. Floats are unsigned bit patterns in both. Arguments
become raw values in pywaz's representation (:mod:`pywaz.numeric`: integers
in unsigned canonical form); expected results become matcher objects whose
``match(actual)`` returns None when the raw result is right and a short
reason when it is not. Floats are compared bit for bit; ``nan:canonical``
and ``nan:arithmetic`` are the spec's NaN classes (execution §4.3.3),
checked per lane for v128. References match by category and host number
(:mod:`.refs`).
"""

from __future__ import annotations

from ..numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from .dialect import Dialect
from .refs import ANY_KINDS, EQ_KINDS, RefKind, describe_ref, ref_kind, unwrap


class SpecFormatError(ValueError):
    """A JSON command or value the harness does not understand."""


class HostRef:
    """The host value N of the spec scripts (``ref.extern N``, and ``ref.host N`` seen as any).

    An opaque object identified by N, interned through :func:`host_ref`, so
    equal N means the same object and matchers can compare with ``is``.
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
    """An unsigned decimal bit pattern (floats in both dialects, integers in wabt's)."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise SpecFormatError(f"{what}: expected a decimal bit pattern, got {text!r}") from None
    if not 0 <= value < (1 << bits):
        raise SpecFormatError(f"{what}: {value} does not fit in {bits} bits")
    return value


def _signed_integer(text, bits: int, what: str) -> int:
    """A signed decimal integer (wasm-tools' dialect) as its unsigned bit pattern."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise SpecFormatError(f"{what}: expected a signed decimal integer, got {text!r}") from None
    half = 1 << (bits - 1)
    if not -half <= value < half:
        raise SpecFormatError(f"{what}: {value} is not a signed {bits}-bit integer "
                              "(the wasm-tools JSON format writes integers signed)")
    return value & ((1 << bits) - 1)


def _integer(text, bits: int, what: str, dialect: Dialect) -> int:
    if dialect.signed_integers:
        return _signed_integer(text, bits, what)
    return _bit_pattern(text, bits, what)


def _lanes_to_int(lane_type, lanes, dialect: Dialect) -> int:
    shape = LANE_SHAPES.get(lane_type)
    if shape is None:
        raise SpecFormatError(f"v128: unknown lane_type {lane_type!r}")
    bits, count = shape
    if not isinstance(lanes, list) or len(lanes) != count:
        raise SpecFormatError(f"v128 {lane_type}: expected {count} lanes, got {lanes!r}")
    read = _bit_pattern if lane_type in ("f32", "f64") else (lambda t, b, w: _integer(t, b, w, dialect))
    result = 0
    for i, lane in enumerate(lanes):
        result |= read(lane, bits, f"v128 {lane_type} lane {i}") << (i * bits)
    return result


# Reference types of the JSON formats. A value of "null" is a null; a number
# is host value N (only where a host value can appear); no value means the
# non-null category for the first group and a null for the bottom types.
_HOST_VALUE_TYPES = ("externref", "anyref")
_CATEGORY_KINDS = {
    "funcref": frozenset({RefKind.FUNC}),
    # A host value, an internal value converted by extern.convert_any (wrapped or, where an engine
    # keeps the value itself, unwrapped); never a function or an exception.
    "externref": frozenset({RefKind.HOST, RefKind.EXTERN}) | EQ_KINDS,
    "anyref": ANY_KINDS,
    "eqref": EQ_KINDS,
    "structref": frozenset({RefKind.STRUCT}),
    "arrayref": frozenset({RefKind.ARRAY}),
    "i31ref": frozenset({RefKind.I31}),
    "exnref": frozenset({RefKind.EXN}),
}
# (ref.null none/nofunc/noextern/noexn) and the untyped (ref.null): wasm-tools writes them without a value.
_NULL_TYPES = frozenset({"nullref", "nullfuncref", "nullexternref", "nullexnref", "refnull"})
REFERENCE_TYPES = frozenset(_CATEGORY_KINDS) | _NULL_TYPES


def _host_number(vtype: str, text) -> int:
    return _bit_pattern(text, 64, f"{vtype} host value")


def _unsupported_ref(vtype: str, text, where: str) -> SpecFormatError:
    if isinstance(text, dict) and "index" in text:
        return SpecFormatError(f"{vtype} {where} (ref.func {text['index']}) names a function of an unknown module; "
                               "no spec command writes one")
    return SpecFormatError(f"{vtype} {where} {text!r}: only null" +
                           (" or a host value number" if vtype in _HOST_VALUE_TYPES else "") + " can be written")


def _parse_ref_arg(vtype: str, value: dict):
    text = value.get("value")
    if vtype in _NULL_TYPES or text == "null":
        return None
    if vtype in _HOST_VALUE_TYPES:
        return host_ref(_host_number(vtype, text))
    raise _unsupported_ref(vtype, text, "argument")


def parse_arg(value: dict, dialect: Dialect = Dialect.WABT):
    """Convert one JSON argument to a raw pywaz value.

    Integers are read as ``dialect`` writes them. A reference argument is
    None (a null of any type) or the :class:`HostRef` N, for ``externref``
    and ``anyref`` alike: an engine converts the host value to its own
    representation of the parameter's type.

    Raises:
        SpecFormatError: unknown type or a malformed value.
    """
    if not isinstance(value, dict):
        raise SpecFormatError(f"value must be an object, got {value!r}")
    vtype = value.get("type")
    text = value.get("value")
    if vtype == "i32" or vtype == "i64":
        return _integer(text, _BITS[vtype], vtype, dialect)
    if vtype == "f32":
        return f32_from_bits(_bit_pattern(text, 32, vtype))
    if vtype == "f64":
        return f64_from_bits(_bit_pattern(text, 64, vtype))
    if vtype == "v128":
        return _lanes_to_int(value.get("lane_type"), text, dialect)
    if vtype in REFERENCE_TYPES:
        return _parse_ref_arg(vtype, value)
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
        if vtype in REFERENCE_TYPES:
            return describe_ref(raw)
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
    __slots__ = ("bits", "expected", "vtype")

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

    __slots__ = ("expected", "nan", "vtype")

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

    __slots__ = ("bits", "lane_type", "lanes")
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
    """A reference result: a null of any type, host value N, or a non-null category.

    Exactly one of ``null`` (True), ``host`` (a :class:`HostRef`) and
    ``kinds`` (a set of :class:`~pywaz.spectest.refs.RefKind`) says what is
    expected. A host value matches through conversion wrappers (``ref.host
    1`` is host value 1 converted to any).
    """

    __slots__ = ("host", "kinds", "null", "vtype")

    def __init__(self, vtype: str, *, null: bool = False, host: HostRef | None = None, kinds=None):
        self.vtype = vtype
        self.null = null
        self.host = host
        self.kinds = kinds

    def match(self, actual):
        if self.null:
            return None if actual is None else f"expected ref.null, got {describe_ref(actual)}"
        if actual is None:
            return f"expected {self!r}, got ref.null"
        if self.host is not None:
            return None if unwrap(actual) is self.host else f"expected {self!r}, got {describe_ref(actual)}"
        if ref_kind(actual) in self.kinds:
            return None
        return f"expected {self!r}, got {describe_ref(actual)}"

    def __repr__(self) -> str:
        if self.null:
            return f"ref.null ({self.vtype})"
        if self.host is not None:
            return f"{self.vtype} host value {self.host.number}"
        return f"a non-null {self.vtype}"


def _parse_ref_expected(vtype: str, value: dict) -> RefMatcher:
    text = value.get("value")
    if vtype in _NULL_TYPES or text == "null":
        return RefMatcher(vtype, null=True)
    if "value" not in value:
        # wasm-tools writes (ref.null eq|struct|array|i31) like the non-null (ref.eq) etc.; every such
        # value in the 3.0 testsuite is the non-null form (v3-json/README.md), so it is read that way.
        return RefMatcher(vtype, kinds=_CATEGORY_KINDS[vtype])
    if vtype in _HOST_VALUE_TYPES:
        return RefMatcher(vtype, host=host_ref(_host_number(vtype, text)))
    raise _unsupported_ref(vtype, text, "result")


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


def parse_expected(value: dict, dialect: Dialect = Dialect.WABT) -> Matcher:
    """Convert one JSON expected value to a :class:`Matcher`; integers are read as ``dialect`` writes them.

    Raises:
        SpecFormatError: unknown type or a malformed value.
    """
    if not isinstance(value, dict):
        raise SpecFormatError(f"expected value must be an object, got {value!r}")
    vtype = value.get("type")
    text = value.get("value")
    if vtype == "either":
        alternatives = value.get("values")
        if not isinstance(alternatives, list) or not alternatives:
            raise SpecFormatError(f"either needs a non-empty list of values, got {alternatives!r}")
        return EitherMatcher(tuple(parse_expected(v, dialect) for v in alternatives))
    if vtype == "i32" or vtype == "i64":
        return IntMatcher(vtype, _integer(text, _BITS[vtype], vtype, dialect))
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
            what = f"v128 {lane_type} lane {i}"
            if nan is not None:
                if lane_type not in ("f32", "f64"):
                    raise SpecFormatError(f"{what}: NaN class on an integer lane")
                lanes.append(FloatMatcher(lane_type, None, nan))
            elif lane_type in ("f32", "f64"):
                lanes.append(_bit_pattern(lane, bits, what))
            else:
                lanes.append(_integer(lane, bits, what, dialect))
        return V128Matcher(lane_type, tuple(lanes))
    if vtype in REFERENCE_TYPES:
        return _parse_ref_expected(vtype, value)
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
