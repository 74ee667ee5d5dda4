"""Lexer and S-expression reader for the WebAssembly text format (Text §6.2-6.3).

Input: source text (``str``, or ``bytes`` that must be UTF-8). Output: a list of
top-level nodes, each a :class:`Tok` (a keyword, number or reserved token kept
as its text; a string as its bytes; an identifier as its name) or an
:class:`SList` (a parenthesised list). White space, line comments, nested block
comments and annotations are dropped, except ``(@custom ...)``,
``(@name ...)`` and branch hints, which stay as :class:`Annot` nodes for the
assembler. Every
node keeps the character offset where it starts; :meth:`Source.where` turns an
offset into line and column for error messages.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import re

from .errors import WatError

# Token classes. A keyword/number/reserved token is "atom"; classification happens where the grammar
# needs a number or a keyword, so the reader never has to guess.
ATOM = 0
STRING = 1
ID = 2


class Tok:
    """One token: ``kind`` (ATOM, STRING or ID), ``value`` and the source ``pos``."""

    __slots__ = ("kind", "pos", "value")

    def __init__(self, kind: int, value, pos: int):
        self.kind = kind
        self.value = value
        self.pos = pos

    def __repr__(self) -> str:
        return f"Tok({self.kind}, {self.value!r})"


class SList:
    """A parenthesised list: its ``items`` (tokens, lists, annotations) and ``pos`` of the ``(``."""

    __slots__ = ("end", "items", "pos")

    def __init__(self, items: list, pos: int, end: int = 0):
        self.items = items
        self.pos = pos
        self.end = end

    def head(self):
        """The keyword that opens the list, or None."""
        items = self.items
        if items and type(items[0]) is Tok and items[0].kind == ATOM:
            return items[0].value
        return None

    def __repr__(self) -> str:
        return f"SList({self.items!r})"


class Annot:
    """A kept annotation ``(@id items...)``: ``@custom``, ``@name`` and ``@metadata.code.branch_hint``."""

    __slots__ = ("items", "name", "pos")

    def __init__(self, name: str, items: list, pos: int):
        self.name = name
        self.items = items
        self.pos = pos


_KEPT_ANNOTATIONS = frozenset(("custom", "name", "metadata.code.branch_hint"))

_TOKEN = re.compile(
    r"""(?P<ws>[ \t\n\r]+)"""
    r"""|(?P<lc>;;[^\n\r]*)"""
    r"""|(?P<bc>\(;)"""
    r"""|(?P<lp>\()"""
    r"""|(?P<rp>\))"""
    r"""|(?P<str>"(?:[^"\\]|\\[\s\S])*")"""
    r"""|(?P<atom>(?:[^ \t\n\r()";]|;(?!;))+)"""
)
_WS, _LC, _BC, _LP, _RP, _STR, _ATOM = range(1, 8)
_IDCHAR = r"0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~"
# A token must end at white space, a parenthesis, a line comment or the end of the text.
_DELIMITED = r"(?=[ \t\n\r()]|;;|\Z)"
_FAST = re.compile(
    r"[ \t\n\r]*(?:"
    rf"([{_IDCHAR.replace('$', '')}][{_IDCHAR}]*){_DELIMITED}"  # 1: a keyword, number or reserved token
    r"|(\((?![;@]))"  # 2: an opening parenthesis (not a comment or an annotation)
    r"|(\))"  # 3
    rf"|\$([{_IDCHAR}]+){_DELIMITED}"  # 4: an identifier
    rf'|"([^"\\\x00-\x1f\x7f]*)"{_DELIMITED}'  # 5: a string without escapes or illegal characters
    r"|(;;[^\n\r]*)"  # 6: a line comment
    r"|(\Z)"  # 7
    r")"
)
_IDCHARS = re.compile(r"[0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]+\Z")
_STRING_ILLEGAL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{2})|u\{([0-9a-fA-F](?:_?[0-9a-fA-F])*)\}|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}


class Source:
    """The text being read, for turning offsets into ``line:column``."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str):
        self.text = text
        self._starts: list[int] | None = None

    def where(self, pos: int) -> tuple[int, int]:
        """The 1-based line and column of character offset ``pos``."""
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._starts, pos)
        return line, pos - self._starts[line - 1] + 1

    def error(self, message: str, pos: int) -> WatError:
        """A :class:`WatError` at offset ``pos``."""
        line, column = self.where(pos)
        return WatError(message, line, column, pos)


def to_text(source: str | bytes) -> str:
    """Source as ``str``. Bytes are UTF-8; bytes that are not become lone surrogates, rejected later.

    Raw bytes only matter inside strings (which keep them exactly) and comments;
    anywhere else a malformed sequence is an illegal character.
    """
    if isinstance(source, str):
        return source
    return bytes(source).decode("utf-8", "surrogateescape")


def decode_string(body: str, source: Source, pos: int) -> bytes:
    """The bytes of a string token's body (between the quotes), escapes applied (Text §6.3.3).

    Raises:
        WatError: an illegal character or unknown escape.
    """
    bad = _STRING_ILLEGAL.search(body)
    if bad is not None:
        raise source.error("illegal character", pos + 1 + bad.start())
    if "\\" not in body:
        return body.encode("utf-8", "surrogateescape")
    out = bytearray()
    last = 0
    for match in _ESCAPE.finditer(body):
        out += body[last:match.start()].encode("utf-8", "surrogateescape")
        last = match.end()
        hexpair, code, simple = match.groups()
        if hexpair is not None:
            out.append(int(hexpair, 16))
        elif code is not None:
            value = int(code.replace("_", ""), 16)
            if value >= 0x110000 or 0xD800 <= value < 0xE000:
                raise source.error("malformed UTF-8 encoding", pos + 1 + match.start())
            out += chr(value).encode("utf-8")
        elif simple in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[simple]
        else:
            raise source.error("unknown escape", pos + 1 + match.start())
    out += body[last:].encode("utf-8", "surrogateescape")
    return bytes(out)


def _utf8_name(data: bytes, source: Source, pos: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise source.error("malformed UTF-8 encoding", pos) from None


def _skip_block_comment(text: str, pos: int, source: Source) -> int:
    """Offset after the block comment that starts at ``pos`` (``(;``); comments nest."""
    depth = 0
    i = pos
    find = text.find
    while True:
        opening = find("(;", i)
        closing = find(";)", i)
        if closing < 0:
            raise source.error("unclosed comment", pos)
        if 0 <= opening < closing:
            depth += 1
            i = opening + 2
        else:
            depth -= 1
            i = closing + 2
            if depth == 0:
                return i


def read(source_text: str | bytes) -> tuple[list, Source]:
    """Read all top-level S-expressions of ``source_text``.

    Raises:
        WatError: a lexical error or unbalanced parentheses.
    """
    with no_cycle_collection():
        return _read(source_text)


@contextlib.contextmanager
def no_cycle_collection():
    """Pause Python's cyclic garbage collector while building a large acyclic tree.

    Reading allocates a million small objects for the v3 suite; every 700
    allocations the collector would walk all of them again, which took two
    thirds of the reading time. The tree has no cycles, so reference counting
    frees it anyway; the collector is restarted (if it was running) at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(source_text: str | bytes) -> tuple[list, Source]:
    text = to_text(source_text)
    source = Source(text)
    match_token = _TOKEN.match
    idchars = _IDCHARS.match
    top: list = []
    items = top
    stack: list = []  # (parent items, SList or Annot being filled)
    pos = 0
    n = len(text)
    fast = _FAST.match
    while True:
        # The fast path reads the common tokens (white space before them included) with one match each;
        # anything unusual -- escapes, comments, annotations, quoted ids, errors -- goes the careful way below.
        m = fast(text, pos)
        if m is not None:
            kind = m.lastindex
            end = m.end()
            if kind == 1:
                items.append(Tok(ATOM, m.group(1), m.start(1)))
                pos = end
                continue
            elif kind == 2:
                new = SList([], end - 1)
                stack.append((items, new))
                items = new.items
                pos = end
                continue
            elif kind == 3:
                if not stack:
                    raise source.error("unexpected token", end - 1)
                items, node = stack.pop()
                node.end = end
                items.append(node)
                pos = end
                continue
            elif kind == 4:
                items.append(Tok(ID, m.group(4), m.start(4) - 1))
                pos = end
                continue
            elif kind == 5:
                items.append(Tok(STRING, m.group(5).encode("utf-8", "surrogateescape"), m.start(5) - 1))
                pos = end
                continue
            elif kind == 6:
                pos = end
                continue
            else:  # the end of the text
                break
        if pos >= n:
            break
        m = match_token(text, pos)
        if m is None:
            if text[pos] == '"':
                raise source.error("unclosed string", pos)
            raise source.error("illegal character", pos)
        kind = m.lastindex
        start = pos
        pos = m.end()
        if kind == _WS or kind == _LC:
            continue
        if kind == _ATOM:
            value = m.group(_ATOM)
            if value[0] == "$":
                if pos < n and text[pos] == '"' and len(value) == 1:
                    sm = match_token(text, pos)
                    if sm is None or sm.lastindex != _STR or _STRING_ILLEGAL.search(sm.group(_STR)):
                        raise source.error("empty identifier", start)
                    pos = sm.end()
                    name = _utf8_name(decode_string(sm.group(_STR)[1:-1], source, sm.start()), source, start)
                    if not name:
                        raise source.error("empty identifier", start)
                    items.append(Tok(ID, name, start))
                    if pos < n and text[pos] not in " \t\n\r()" and not text.startswith(";;", pos):
                        raise source.error("unknown operator: a token cannot follow a string directly", pos)
                    continue
                if len(value) == 1:
                    raise source.error("empty identifier", start)
                if idchars(value) is None:
                    _bad_atom(value, source, start)
                items.append(Tok(ID, value[1:], start))
            else:
                if idchars(value) is None:
                    _bad_atom(value, source, start)
                items.append(Tok(ATOM, value, start))
            if pos < n and text[pos] == '"':
                raise source.error("unknown operator: a string cannot follow a token directly", pos)
        elif kind == _LP:
            if pos < n and text[pos] == "@":
                pos = _annotation(text, pos + 1, start, source, items)
                continue
            new = SList([], start)
            stack.append((items, new))
            items = new.items
        elif kind == _RP:
            if not stack:
                raise source.error("unexpected token", start)
            items, node = stack.pop()
            node.end = pos
            items.append(node)
        elif kind == _STR:
            body = m.group(_STR)[1:-1]
            items.append(Tok(STRING, decode_string(body, source, start), start))
            if pos < n and text[pos] not in " \t\n\r()" and not text.startswith(";;", pos):
                raise source.error("unknown operator: a token cannot follow a string directly", pos)
        else:  # block comment
            pos = _skip_block_comment(text, start, source)
    if stack:
        raise source.error("unexpected end of input: unclosed parenthesis", stack[-1][1].pos)
    return top, source


def _check_characters(value: str, source: Source, pos: int) -> None:
    for offset, char in enumerate(value):
        if "\udc80" <= char <= "\udcff":
            raise source.error("malformed UTF-8 encoding", pos + offset)
        if not ("\x21" <= char <= "\x7e"):
            raise source.error("illegal character", pos + offset)


def _bad_atom(value: str, source: Source, pos: int) -> None:
    _check_characters(value, source, pos)
    # Only reserved punctuation (',', ';', '[', ']', '{', '}') is left: a reserved token.
    raise source.error("unexpected token", pos)


def _annotation(text: str, pos: int, start: int, source: Source, items: list) -> int:
    """Read the annotation whose ``(@`` is at ``start``; keep it in ``items`` if it is kept.

    Returns the offset after its closing parenthesis.
    """
    n = len(text)
    match_token = _TOKEN.match
    if pos < n and text[pos] == '"':
        sm = match_token(text, pos)
        if sm is None or sm.lastindex != _STR or _STRING_ILLEGAL.search(sm.group(_STR)):
            raise source.error("empty annotation id", start)
        name = _utf8_name(decode_string(sm.group(_STR)[1:-1], source, pos), source, pos)
        pos = sm.end()
    else:
        m = match_token(text, pos)
        if m is None or m.lastindex != _ATOM:
            raise source.error("empty annotation id", start)
        name = m.group(_ATOM)
        if _IDCHARS.match(name) is None:
            _bad_atom(name, source, pos)
        pos = m.end()
    if not name:
        raise source.error("empty annotation id", start)
    annot = Annot(name, [], start)
    stack = [(items, annot)]
    inner = annot.items
    while True:
        if pos >= n:
            raise source.error("unclosed annotation", start)
        m = match_token(text, pos)
        if m is None:
            if text[pos] == '"':
                raise source.error("unclosed string", pos)
            raise source.error("illegal character", pos)
        kind = m.lastindex
        here = pos
        pos = m.end()
        if kind == _WS or kind == _LC:
            continue
        if kind == _BC:
            pos = _skip_block_comment(text, here, source)
        elif kind == _LP:
            new = SList([], here)
            stack.append((inner, new))
            inner = new.items
        elif kind == _RP:
            inner, node = stack.pop()
            if not stack:
                if name in _KEPT_ANNOTATIONS:
                    items.append(annot)
                return pos
            node.end = pos
            inner.append(node)
        elif kind == _STR:
            inner.append(Tok(STRING, decode_string(m.group(_STR)[1:-1], source, here), here))
        else:
            value = m.group(_ATOM)
            if _IDCHARS.match(value) is None:
                # Reserved tokens are allowed inside annotations; only illegal characters are not.
                _check_characters(value, source, here)
            if value[0] == "$" and len(value) > 1:
                inner.append(Tok(ID, value[1:], here))
            else:
                inner.append(Tok(ATOM, value, here))
