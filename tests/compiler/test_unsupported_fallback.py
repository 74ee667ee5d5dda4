"""A function the compiler cannot lower runs in the interpreter's loop inside the compiler engine.

Found by the differential fuzzer: a ``try_table`` in a function nested too deeply for structured lowering
(lowered flat, where the compiler has no ``try_table``) made the compiler engine raise ``UnsupportedOpcode``
for a valid module the interpreter runs. Such a function now runs interpreted, eagerly and lazily, and
after a disk-cache round trip; its neighbours stay compiled.
"""

import pytest

import pywaz

DEPTH = 30  # more nested branch-target loops than CPython's 20 static blocks: the function is lowered flat


def _module() -> str:
    opens = "".join(f"(loop $l{i} (br_if $l{i} (i32.eqz (i32.const 1)))" for i in range(DEPTH))
    closes = ")" * DEPTH
    return f"""(module
      (tag $t (param i32))
      (func $deep (export "deep") (param i32) (result i32)
        {opens}
        (block $h (result i32)
          (try_table (catch $t $h)
            (throw $t (i32.add (local.get 0) (i32.const 1))))
          (i32.const -1))
        (return)
        {closes}
        (i32.const -2))
      (func (export "plain") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))"""


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_unlowerable_function_runs_interpreted(mode, tmp_path):
    text = _module()
    expected = pywaz.Runtime("interpreter").instantiate(text).exports["deep"](41)
    assert expected == 42
    cache = pywaz.CompilationCache(tmp_path)
    for _ in range(2):  # compiled now, then from the disk cache in a fresh cache object
        with pywaz.Runtime("compiler", compile_mode=mode, cache=cache) as runtime:
            compiled = runtime.compile_module(text)
            instance = runtime.instantiate_module(compiled)
            assert instance.exports["deep"](41) == expected
            assert instance.exports["plain"](5) == 15
            artifact = compiled.artifact
            assert artifact.interprets(0) and not artifact.interprets(1)
            assert "try_table" in str(artifact.errors[0])  # the compiler really could not lower it
        cache.close()
        cache = pywaz.CompilationCache(tmp_path)
    cache.close()
