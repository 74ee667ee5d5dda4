"""The error the text-format reader and assembler raise.

Text §6: source text that is not a well-formed module or script is "malformed".
The error carries the 1-based line and column where reading failed, and its
message contains the spec test suite's expected text for the case (for example
"unknown operator" or "constant out of range").
"""

from __future__ import annotations

from ..errors import DecodeError


class WatError(DecodeError):
    """Malformed WebAssembly text (spec: "malformed"), with ``line`` and ``column``.

    It is a :class:`~pywaz.DecodeError` (the class every malformed module
    raises), so callers that handle malformed binaries handle malformed text
    too. ``offset`` is the character offset in the source; ``filename`` is set
    when the text came from a file.
    """

    def __init__(self, message: str, line: int = 0, column: int = 0, offset: int | None = None,
                 filename: str | None = None):
        self.line = line
        self.column = column
        self.filename = filename
        super().__init__(message, offset)
        where = f"{filename}:" if filename else ""
        self.args = (f"{where}{line}:{column}: {message}",)

    def __str__(self) -> str:
        return self.args[0]

    def with_filename(self, filename: str) -> WatError:
        """A copy of this error naming the file it came from."""
        return WatError(self.message, self.line, self.column, self.offset, filename)
