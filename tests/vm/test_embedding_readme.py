"""The Embedding example in pywaz/vm/README.md runs as written."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[2] / "pywaz" / "vm" / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Embedding") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "no python example in the Embedding section"
    return match.group(1)


def test_embedding_example_runs(capsys):
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(_example(), str(README), "exec"), namespace)  # noqa: S102 - our own documentation
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[('env', 'log', 'func')]"
    assert out[1] == "['memory', 'calls', 'sum', 'greet', 'spin']"
    assert out[2] == "interrupted: deadline of 0.1 s passed"
    assert out[3].startswith("sum ") and "wasm instructions" in out[3]
    assert namespace["messages"] == ["hello from wasm"]


def test_gc_example_runs_and_prints_what_the_readme_says(capsys):
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## GC and typed references") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    printed = re.search(r"prints\n\n```\n(.*?)```", section, re.DOTALL).group(1).splitlines()
    exec(compile(code, str(README), "exec"), {"__name__": "readme_gc_example"})  # noqa: S102 - our own documentation
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == printed[:3]
    assert re.fullmatch(re.escape(printed[3]).replace(r"\.\.\.\.", "[0-9a-f]{4}"), out[3])
