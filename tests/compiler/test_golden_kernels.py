"""Golden files of what the compiler emits for the bench kernels (bench/kernels/, issue 17).

``golden/kernels/<kernel>.py.txt`` holds ``pywaz inspect --python`` of every
defined function of the kernel's module, so any change to the code the bench
kernels run shows in review, and a change that is meant to leave emitted code
alone (the lowering machinery's own speed) is checked to do so. After an
intended change to the lowering, regenerate them with

    PYWAZ_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/compiler/test_golden_kernels.py

and review the diff.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from pywaz.compiler.inspect import generated_source
from pywaz.decoder import decode_module
from pywaz.validator import validate

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "kernels"


def _catalog():
    spec = importlib.util.spec_from_file_location("_golden_bench_catalog", ROOT / "bench" / "kernels" / "catalog.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while it executes
    spec.loader.exec_module(module)
    return module


# One golden file per module (exceptions.wat serves four kernels).
MODULES = sorted({kernel.wasm: kernel for kernel in _catalog().KERNELS}.items())


def _module_source(kernel) -> str:
    validated = validate(decode_module(kernel.wasm_bytes()))
    first = validated.num_imported_funcs
    parts = []
    for index in range(first, first + len(validated.functions)):
        parts.append(f"# function {index}\n{generated_source(validated, index)}")
    return "\n".join(parts)


@pytest.mark.parametrize("wasm,kernel", MODULES, ids=[name for name, _ in MODULES])
def test_kernel_code_matches_golden(wasm, kernel):
    source = _module_source(kernel)
    expected_path = GOLDEN / f"{Path(wasm).stem}.py.txt"
    if os.environ.get("PYWAZ_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(source)
    assert expected_path.exists(), f"no golden file {expected_path.name}: run with PYWAZ_UPDATE_GOLDEN=1"
    assert source == expected_path.read_text(), f"{wasm}: emitted code changed (PYWAZ_UPDATE_GOLDEN=1 regenerates)"
    compile(source, wasm, "exec")  # the golden file itself is valid Python
