"""WebAssembly 3.0 spec commands pywaz is known to fail, each with the reason. This list only shrinks.

The 3.0 counterpart of ``expected_failures.py`` (same rules, checked by
``test_spec.py``): each entry is ``(file, lines, reason)``, ``file`` the
.wast base name (``legacy/NAME`` for the files of ``v3-legacy-json``),
``lines`` the commands' lines in the .wast file that fail for ``reason``. A
listed command that passes must be removed; an unlisted failure fails the
test. No engine limits an entry: the interpreter and the compiler (eager and
lazy) fail exactly the same commands.

Every failure that was here was pywaz not implementing a 3.0 proposal yet --
none was the harness's. The sections name the proposal and the issue that implements
it; each reason repeats the proposal and the error pywaz gives, directly or
for the module the command uses. Measured when written (interpreter,
compiler eager and lazy alike): 59,091 passed, 4,962 failed, 1,255 skipped
(text-format modules only) of 65,308 commands in v3-json and v3-legacy-json;
with memory64, table64 and multiple memories (issue 12, items 3 and 4):
62,409 passed, 1,644 failed, 1,255 skipped. Since pywaz assembles text itself
(issue 15), nothing is skipped: 63,664 passed, 1,644 failed, the same from the .wast files as
from JSON. With tail calls, exception handling and legacy exception handling (issue 13): 63,980
passed, 1,328 failed. With typed function references and GC decoded, validated and linked but not yet
executed (issue 14, types): 64,639 passed, 669 failed. With typed function references and GC executed
(issue 14): 65,308 passed, 0 failed in the interpreter and in the compiler (eager and lazy), which lowers
every GC and typed-reference instruction itself (no function falls back to the interpreter's loop).
The list is empty: pywaz passes the whole 3.0 testsuite.
"""

EXPECTED_FAILURES: list[tuple] = []
