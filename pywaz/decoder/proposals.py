"""Binary constructs that belong to a WebAssembly proposal (for errors that name it).

Enters: a byte the decoder could not read as WebAssembly 2.0 (an opcode, a
type code, a type form, a section id, an import or export kind) and where it
was. Leaves: the :class:`~pywaz.features.ProposalError` to raise when that
byte belongs to a proposal that is switched off or that pywaz does not
implement, or None when it is simply malformed.
"""

from __future__ import annotations

from ..features import ProposalError, proposal_off

#: Single-byte opcodes (and the 0xFB / 0xFE prefixes) of 3.0 proposals.
OPCODES = {
    0x06: ("legacy_exceptions", "try instruction"),
    0x07: ("legacy_exceptions", "catch instruction"),
    0x08: ("exceptions", "throw instruction"),
    0x09: ("legacy_exceptions", "rethrow instruction"),
    0x0A: ("exceptions", "throw_ref instruction"),
    0x12: ("tail_call", "return_call instruction"),
    0x13: ("tail_call", "return_call_indirect instruction"),
    0x14: ("function_references", "call_ref instruction"),
    0x15: ("function_references", "return_call_ref instruction"),  # the hook: tail calls through typed references
    0x18: ("legacy_exceptions", "delegate instruction"),
    0x19: ("legacy_exceptions", "catch_all instruction"),
    0x1F: ("exceptions", "try_table instruction"),
    0xD3: ("gc", "ref.eq instruction"),
    0xD4: ("function_references", "ref.as_non_null instruction"),
    0xD5: ("function_references", "br_on_null instruction"),
    0xD6: ("function_references", "br_on_non_null instruction"),
    0xFB: ("gc", "GC instruction (0xFB prefix)"),
    0xFE: ("threads", "atomic instruction (0xFE prefix)"),
}

#: Value and heap type codes of 3.0 proposals.
TYPE_CODES = {
    0x64: ("function_references", "(ref ...) type"),
    0x63: ("function_references", "(ref null ...) type"),
    0x69: ("exceptions", "exnref type"),
    0x74: ("exceptions", "nullexnref type"),
    0x73: ("gc", "nullfuncref type"),
    0x72: ("gc", "nullexternref type"),
    0x71: ("gc", "nullref type"),
    0x6E: ("gc", "anyref type"),
    0x6D: ("gc", "eqref type"),
    0x6C: ("gc", "i31ref type"),
    0x6B: ("gc", "structref type"),
    0x6A: ("gc", "arrayref type"),
}

#: Type section entries other than ``func`` (0x60).
TYPE_FORMS = {
    0x5F: ("gc", "struct type"),
    0x5E: ("gc", "array type"),
    0x50: ("gc", "sub type"),
    0x4F: ("gc", "final sub type"),
    0x4E: ("gc", "rec group"),
}

SECTIONS = {13: ("exceptions", "tag section")}
EXTERN_KINDS = {4: ("exceptions", "tag {}")}


def check(table: dict, code: int, offset: int, features, spec_text: str, suffix: str = "") -> None:
    """Raise the proposal error for ``code`` if ``table`` places it in a proposal that is unavailable.

    ``spec_text`` is the malformed-binary message of the language without the proposal.
    Returns normally when ``code`` is not a proposal's (the caller then reports it as malformed)
    or when its proposal is enabled (the caller goes on to read it).
    """
    entry = table.get(code)
    if entry is None:
        return
    proposal, what = entry
    if not getattr(features, proposal):
        raise proposal_off(proposal, what.format(suffix) if "{}" in what else what, offset, features, spec_text)


__all__ = ["OPCODES", "TYPE_CODES", "TYPE_FORMS", "SECTIONS", "EXTERN_KINDS", "check", "proposal_off", "ProposalError"]
