"""Spec commands pywaz is known to fail, each with the reason. This list only shrinks.

Each entry is ``(file, line, reason)``: ``file`` is the .wast base name,
``line`` the command's line in the .wast file, ``reason`` why it fails and what
would fix it. An optional fourth element is a tuple of engine configurations
(``"interpreter"``, ``"compiler-eager"``, ``"compiler-lazy"``, ``"tiered"``) the entry is
limited to. ``spec-tests/test_spec.py`` fails when a listed command passes
(remove the entry) and when an unlisted command fails (fix it, or list it here
with a real reason).
"""

EXPECTED_FAILURES: list[tuple] = []
