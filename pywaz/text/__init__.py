"""The WebAssembly text format: WAT modules to binaries (Text §6) and WAST scripts.

Input: text (``str``, or ``bytes`` holding UTF-8 text). Output: the module's
binary encoding, ready for :func:`pywaz.decode_module` or
``Runtime.compile_module``. :mod:`.reader` lexes and reads S-expressions,
:mod:`.numbers` converts literals, :mod:`.assembler` encodes a module.
"""

from __future__ import annotations

from .errors import WatError
from .reader import ATOM, ID, SList, Source, read

# The assembler (and the opcode table it reads) is imported on first use: `pywaz run` on a binary asks
# is_text() and must not pay for it.

__all__ = ["WatError", "is_text", "wat2wasm"]


def assemble_fields(items: list, source: Source, start: int = 1, pos: int = 0) -> bytes:
    """Assemble the module whose fields are ``items[start:]`` (after ``module`` and an optional id).

    Raises:
        WatError: the text is malformed.
    """
    module_name = None
    if start < len(items):
        first = items[start]
        if type(first).__name__ == "Tok" and first.kind == ID:
            module_name = first.value
            start += 1
    from .assembler import Assembler

    return Assembler(source).assemble(items[start:], module_name)


def wat2wasm(text: str | bytes) -> bytes:
    """Assemble one WebAssembly text module into its binary encoding.

    ``text`` is either one ``(module ...)`` form or a bare sequence of module
    fields (Text §6.6.13). Identifiers become a ``name`` custom section.

    Raises:
        WatError: the text is malformed (a :class:`~pywaz.DecodeError` carrying
            ``line`` and ``column``, whose message contains the spec's wording).
    """
    nodes, source = read(text)
    if len(nodes) == 1 and type(nodes[0]) is SList and nodes[0].head() == "module":
        node = nodes[0]
        items = node.items
        if len(items) > 1 and type(items[1]).__name__ == "Tok" and items[1].kind == ATOM and items[1].value in (
                "binary", "quote", "definition", "instance"):
            raise source.error("unexpected token", items[1].pos)
        return assemble_fields(items, source)
    for node in nodes:
        if type(node) is SList and node.head() == "module":
            raise source.error("unexpected token", node.pos)
    from .assembler import Assembler

    return Assembler(source).assemble(nodes)


def is_text(data) -> bool:
    """Whether ``data`` holds WebAssembly text rather than a binary module.

    A ``str`` is text. Bytes are text when, after leading white space, they
    start with ``(`` or ``;`` (a list or a comment: every text module does);
    anything else, ``\\0asm`` first of all, is left to the binary decoder, whose
    error then names the bad header.
    """
    if isinstance(data, str):
        return True
    head = bytes(data[:256]).lstrip(b" \t\r\n")
    if head.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as some editors write
        head = head[3:].lstrip(b" \t\r\n")
    return head[:1] in (b"(", b";")
