"""The lexer and S-expression reader (pywaz/text/reader.py): tokens, comments, strings, annotations, errors."""

from __future__ import annotations

import pytest

from pywaz import DecodeError, PywazError
from pywaz.text import WatError
from pywaz.text.reader import ATOM, ID, STRING, Annot, SList, read


def _shape(nodes):
    out = []
    for node in nodes:
        if type(node) is SList:
            out.append(_shape(node.items))
        elif type(node) is Annot:
            out.append(("@" + node.name, _shape(node.items)))
        else:
            out.append({ATOM: "a", STRING: "s", ID: "$"}[node.kind] + ":" + (
                node.value.decode("latin-1") if node.kind == STRING else node.value))
    return out


def test_tokens_lists_and_identifiers():
    nodes, _ = read('(module $m (func $f (param i32) i32.const -0x1_0))')
    assert _shape(nodes) == [["a:module", "$:m", ["a:func", "$:f", ["a:param", "a:i32"], "a:i32.const", "a:-0x1_0"]]]


def test_comments_nest_and_line_comments_end_at_cr_or_lf():
    nodes, _ = read("(a (; outer (; inner ;) still ;) b ;; to the end\r c)")
    assert _shape(nodes) == [["a:a", "a:b", "a:c"]]
    with pytest.raises(WatError, match="unclosed comment"):
        read("(a (; never closed")


def test_string_escapes_give_bytes():
    nodes, _ = read(r'"\t\n\r\"\'\\\00\ff\u{41}\u{1F600}x"')
    assert nodes[0].value == b"\t\n\r\"'\\\x00\xffA" + "\U0001F600".encode() + b"x"


def test_quoted_identifiers():
    nodes, _ = read('($"a b" $"\\41")')
    assert _shape(nodes) == [["$:a b", "$:A"]]


@pytest.mark.parametrize("text, message, line, column", [
    ('(func $)', "empty identifier", 1, 7),
    ('(func\n  $"")', "empty identifier", 2, 3),
    ('(@)', "empty annotation id", 1, 1),
    ('(@x (y)', "unclosed annotation", 1, 1),
    ('(a "abc', "unclosed string", 1, 4),
    ('(a "\x01")', "illegal character", 1, 5),
    ('(a é)', "illegal character", 1, 4),
    ('(a))', "unexpected token", 1, 4),
    ('"a"x', "unknown operator", 1, 4),
    (b'(a "\\ef")'.decode(), None, 0, 0),  # an escaped byte is fine in a string
    (b'(a \xff)', "malformed UTF-8", 1, 4),
])
def test_lexical_errors_carry_line_and_column(text, message, line, column):
    if message is None:
        read(text)
        return
    with pytest.raises(WatError) as info:
        read(text)
    error = info.value
    assert message in str(error)
    assert (error.line, error.column) == (line, column)
    assert isinstance(error, DecodeError) and isinstance(error, PywazError)
    assert str(error).startswith(f"{line}:{column}: ")


def test_annotations_are_dropped_except_custom_and_name():
    nodes, _ = read('(module (@other x (y) "z") (@custom "c" "data") (@name "n") (func))')
    assert _shape(nodes) == [["a:module", ("@custom", ['s:c', 's:data']), ("@name", ["s:n"]), ["a:func"]]]


def test_annotation_bodies_accept_reserved_tokens():
    read('(@a , ; ] [ }} }x{ ({) ,{{};}] ;) (@a x-y$yz"aa"-2)')
