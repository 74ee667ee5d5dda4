"""Real large modules (esbuild-wasm: Go, 14 MB; @swc/wasm: Rust, 18 MB) decode and validate.

Slow (about 10 s per module). The modules are not in git: fetch them with
``python3 scripts/fetch_modules.py``; each test skips, naming that script,
while its module is absent. pywaz's view of the module (imports, exports,
function count) must equal wasmtime's, the native reference.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("_pywaz_fetch_modules", REPO / "scripts" / "fetch_modules.py")
fetch_modules = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fetch_modules
_spec.loader.exec_module(fetch_modules)

pytestmark = pytest.mark.slow


@pytest.fixture(params=[m.key for m in fetch_modules.MODULES])
def large_module(request):
    module = fetch_modules.BY_KEY[request.param]
    path = fetch_modules.module_path(module.key)
    if not path.is_file():
        pytest.skip(f"{path.name} is absent: run `python3 scripts/fetch_modules.py`")
    data = path.read_bytes()
    if len(data) != module.size:
        pytest.skip(f"{path.name} has the wrong size: rerun `python3 scripts/fetch_modules.py`")
    return data


def test_large_module_decodes_and_validates_like_wasmtime(large_module):
    wasmtime = pytest.importorskip("wasmtime")
    from pywaz.decoder import decode_module
    from pywaz.validator import validate

    validated = validate(decode_module(large_module))
    reference = wasmtime.Module(wasmtime.Engine(), large_module)
    module = validated.module
    assert [(i.module, i.name) for i in module.imports] == [(i.module, i.name) for i in reference.imports]
    assert sorted(e.name for e in module.exports) == sorted(e.name for e in reference.exports)
    assert len(validated.functions) == len(module.codes) > 1000
