"""WebAssembly proposals: which ones a runtime accepts (its engine configuration).

WebAssembly 3.0 is 2.0 plus eight proposals, and producers still emit a few
pre-standard forms. A :class:`Features` value says which of them a runtime
accepts; every proposal pywaz implements is on by default, as in the native
runtimes' engine configurations. The decoder and validator consult it, the
cache key includes it, and a module that needs a proposal that is switched
off, or that pywaz does not implement, fails with a :class:`ProposalError`
naming the proposal and the byte offset, never with a message that makes a
valid binary look corrupt.

Switching a proposal off makes pywaz read binaries as the language without
it did: a decode-level use (an opcode, a type form, a limits flag) is then
malformed (:class:`ProposalDisabledError`, a :class:`~pywaz.DecodeError`) and
a validation-level use (an extended constant expression, a second memory) is
invalid (:class:`ProposalDisabledInvalid`, a :class:`~pywaz.ValidationError`),
which is what the 2.0 testsuite checks with :meth:`Features.wasm2`.
"""

from __future__ import annotations

from ._records import record, replace
from .errors import DecodeError, PywazError, ValidationError

#: Each switch (a :class:`Features` field) and the proposal's name in messages.
PROPOSAL_NAMES = {
    "memory64": "memory64",
    "multi_memory": "multi-memory",
    "extended_const": "extended-const",
    "relaxed_simd": "relaxed-simd",
    "tail_call": "tail-call",
    "exceptions": "exception-handling",
    "legacy_exceptions": "legacy exception-handling",
    "function_references": "function-references",
    "gc": "gc",
    "threads": "threads",
}

#: The proposals pywaz runs (in both engines); the others are refused at decode time.
IMPLEMENTED = frozenset(
    {"memory64", "multi_memory", "extended_const", "relaxed_simd", "tail_call", "exceptions", "legacy_exceptions",
     "function_references", "gc", "threads"}
)


@record
class Features:
    """Which WebAssembly proposals a runtime accepts (``Runtime(features=...)``).

    Every field is a proposal switch: True accepts the proposal, False
    switches it off (binaries are then read as the language without it did,
    so its constructs are malformed or invalid, naming the proposal), and None
    marks a proposal pywaz does not implement (a module using it is refused
    with :class:`ProposalNotImplementedError`). The defaults turn on exactly
    the proposals pywaz implements (see :data:`IMPLEMENTED`), so
    ``Features()`` is all of what pywaz can run. ``Features.wasm2()`` is
    WebAssembly 2.0 (every switch False). ``features.replace(relaxed_simd=False)``
    switches one off. Turning on a proposal pywaz does not implement is
    refused when a runtime is created with it.
    """

    memory64: bool | None = True
    multi_memory: bool | None = True
    extended_const: bool | None = True
    relaxed_simd: bool | None = True
    tail_call: bool | None = True
    exceptions: bool | None = True
    legacy_exceptions: bool | None = True
    function_references: bool | None = True
    gc: bool | None = True
    threads: bool | None = True

    @classmethod
    def wasm2(cls) -> Features:
        """WebAssembly 2.0: every proposal off."""
        return cls(**dict.fromkeys(PROPOSAL_NAMES, False))

    @classmethod
    def coerce(cls, value) -> Features:
        """A Features from None (the defaults), a Features, or a mapping of switch name to bool.

        Raises:
            TypeError: ``value`` is none of these, or a switch is not a bool.
            ValueError: a mapping names an unknown proposal.
        """
        if value is None:
            return DEFAULT
        if isinstance(value, Features):
            return value
        if not hasattr(value, "items"):
            raise TypeError(f"features must be a pywaz.Features or a mapping of proposal to bool, not {type(value).__name__}")
        switches = {}
        for name, enabled in value.items():
            field = str(name).replace("-", "_")
            if field not in PROPOSAL_NAMES:
                raise ValueError(f"unknown WebAssembly proposal {name!r}; known: {', '.join(sorted(PROPOSAL_NAMES))}")
            switches[field] = enabled
        return replace(DEFAULT, **switches)

    def replace(self, **switches: bool) -> Features:
        """A copy with the given switches changed."""
        return replace(self, **switches)

    def enabled(self) -> tuple[str, ...]:
        """The switched-on proposals' field names, sorted (the cache key's ``features`` field)."""
        return tuple(sorted(name for name in PROPOSAL_NAMES if getattr(self, name)))

    def check(self) -> Features:
        """Return self if pywaz can run with these switches.

        Raises:
            TypeError: a switch is not a bool.
            ProposalNotImplementedError: a proposal pywaz does not implement is switched on.
        """
        for name in PROPOSAL_NAMES:
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise TypeError(f"Features.{name} must be a bool, not {type(value).__name__}")
            if value and name not in IMPLEMENTED:
                raise ProposalNotImplementedError(name, "switched on in the runtime's features", None)
        return self


DEFAULT = Features()


class ProposalError(PywazError):
    """A module needs a WebAssembly proposal that is switched off or that pywaz does not implement.

    ``proposal`` is the :class:`Features` field name (``"memory64"``), ``name``
    the proposal's name, ``what`` the construct that needs it and ``offset``
    its byte offset in the module (None when not known).
    """

    proposal: str
    name: str
    what: str


def _proposal_message(proposal: str, what: str, implemented: bool) -> str:
    # "not enabled" is about the runtime's switches; "not implemented" about pywaz itself.
    name = PROPOSAL_NAMES[proposal]
    state = "not enabled" if implemented else "not implemented by pywaz"
    return f"the {name} proposal is {state}: {what}"


def _set_fields(error: ProposalError, proposal: str, what: str) -> None:
    error.proposal = proposal
    error.name = PROPOSAL_NAMES[proposal]
    error.what = what


def _disabled_message(proposal: str, what: str, spec_text: str | None) -> str:
    # The language without the proposal has its own wording for the fault (the spec's, such as
    # "illegal opcode 0x12"); it comes first, so tools matching the spec's text still match.
    message = _proposal_message(proposal, what, True)
    return f"{spec_text} ({message})" if spec_text else message


class ProposalDisabledError(ProposalError, DecodeError):
    """The binary uses a proposal the runtime's features switch off (malformed without it).

    ``spec_text`` is what the language without the proposal calls the fault ("illegal opcode 0x12");
    the message is that text followed by the proposal's name.
    """

    def __init__(self, proposal: str, what: str, offset: int | None, spec_text: str | None = None):
        _set_fields(self, proposal, what)
        DecodeError.__init__(self, _disabled_message(proposal, what, spec_text), offset)


class ProposalDisabledInvalid(ProposalError, ValidationError):
    """The module uses a proposal the runtime's features switch off (invalid without it)."""

    def __init__(self, proposal: str, what: str, offset: int | None, spec_text: str | None = None,
                 func_index: int | None = None):
        _set_fields(self, proposal, what)
        ValidationError.__init__(self, _disabled_message(proposal, what, spec_text), offset, func_index)


class ProposalNotImplementedError(ProposalError, NotImplementedError):
    """The binary uses a proposal pywaz does not implement yet: it is not corrupt, pywaz cannot run it."""

    def __init__(self, proposal: str, what: str, offset: int | None):
        _set_fields(self, proposal, what)
        self.offset = offset
        where = f" at byte offset {offset} (0x{offset:x})" if offset is not None else ""
        super().__init__(_proposal_message(proposal, what, False) + where)


def proposal_off(proposal: str, what: str, offset: int | None, features: Features = DEFAULT,
                 spec_text: str | None = None) -> ProposalError:
    """The decode-time error for ``proposal`` being unavailable in ``features``.

    Switched off (False): a :class:`ProposalDisabledError`, since without the
    proposal the binary is malformed. Not implemented by pywaz (None): a
    :class:`ProposalNotImplementedError`.
    """
    if getattr(features, proposal) is False:
        return ProposalDisabledError(proposal, what, offset, spec_text)
    return ProposalNotImplementedError(proposal, what, offset)
