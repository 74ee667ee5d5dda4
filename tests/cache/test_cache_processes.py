"""The disk store across processes: a second process compiles nothing, and
processes racing on one key all succeed and leave one valid entry."""

import json
import os
import subprocess
import sys

import pytest
from _cachefake import FakeEngine, expected_results, key_for, lookup, results

from pywaz.cache import CompilationCache, DiskStore
from pywaz.text import wat2wasm

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_cacheworker.py")
DATA = b"\0asm multi-process test module"


def run_worker(*args, timeout=120):
    proc = subprocess.run([sys.executable, WORKER, *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_second_process_compiles_nothing(cache_dir):
    first = run_worker("lookup", cache_dir, DATA.hex())
    assert first["correct"] and first["engine_compilations"] == 1
    assert first["stats"]["compilations"] == 1 and first["stats"]["disk_writes"] == 1
    second = run_worker("lookup", cache_dir, DATA.hex())
    assert second["correct"] and second["engine_compilations"] == 0
    assert second["stats"]["compilations"] == 0 and second["stats"]["disk_hits"] == 1
    assert second["stats"]["disk_writes"] == 0


def test_entry_written_here_is_a_hit_in_another_process(cache_dir):
    engine = FakeEngine()
    lookup(CompilationCache(cache_dir), engine, DATA)
    child = run_worker("lookup", cache_dir, DATA.hex())
    assert child["correct"] and child["engine_compilations"] == 0


def test_processes_racing_on_one_key_all_succeed_and_leave_one_valid_entry(cache_dir, tmp_path):
    go = str(tmp_path / "go")
    rounds = 15
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, "race", cache_dir, DATA.hex(), go, str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    open(go, "w").close()
    outs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr
        outs.append(json.loads(stdout))
    for out in outs:
        assert out["wrong"] == 0, "a process got a wrong artifact"
        assert out["invalid"] == 0, "a reader saw a partial or corrupt entry"
        assert out["writes"] == rounds
    store = DiskStore(cache_dir)
    shard = os.path.dirname(store.path_for(key_for(DATA)))
    assert os.listdir(shard) == [key_for(DATA) + ".pwz"]  # one entry, no temp files left
    report = store.verify(remove_invalid=False)
    assert report.checked == report.valid == 1
    engine = FakeEngine()
    assert results(lookup(CompilationCache(cache_dir), engine, DATA)) == expected_results(DATA)
    assert engine.compilations == 0


# -- an embedder that never calls close(): the interpreter-exit flush -------------------------

FUNCTIONS = 24


def embed_module() -> bytes:
    """FUNCTIONS exported functions, each calling a private helper of its own: 2 * FUNCTIONS functions."""

    parts = []
    for i in range(FUNCTIONS):
        # div_u by 1 can trap in principle: the compiler does not lower the helper into its caller.
        body = f"(i32.add (i32.mul (local.get 0) (i32.const {i + 3})) (i32.const {i}))"
        parts.append(f"(func $h{i} (param i32) (result i32) (i32.div_u {body} (i32.const 1)))")
        parts.append(f'(func (export "f{i}") (result i32) (call $h{i} (i32.const {i * 11 + 1})))')
    return wat2wasm("(module " + " ".join(parts) + ")")


def expected_value(i: int) -> int:
    return (i * 11 + 1) * (i + 3) + i


@pytest.fixture
def wasm_file(tmp_path):
    path = tmp_path / "embed.wasm"
    path.write_bytes(embed_module())
    return str(path)


def run_embedder(cache_dir, wasm_file, exports, *options, returncode=0):
    names = ",".join(f"f{i}" for i in exports)
    proc = subprocess.run(
        [sys.executable, WORKER, "embed", cache_dir, wasm_file, names, *options],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == returncode, proc.stderr
    out = json.loads(proc.stdout)
    assert out["results"] == {f"f{i}": expected_value(i) for i in exports}
    return out


def stored_functions(cache_dir) -> list[int]:
    """Which functions have code in the one entry of the store (read through the store's own loader)."""
    from pywaz.cache.payload import presence

    store = DiskStore(cache_dir)
    (entry,) = store.entries()
    loaded = store.load(entry.key)
    assert loaded is not None
    return [i for i, present in enumerate(presence(loaded.payload.code_blobs)) if present]


@pytest.mark.parametrize("end", ["return", "exit", "raise"])
def test_an_embedder_that_never_closes_leaves_a_complete_entry(end, cache_dir, wasm_file):
    called = [0, 3, 5, 17]
    first = run_embedder(cache_dir, wasm_file, called, "--end", end, returncode={"return": 0, "exit": 3, "raise": 1}[end])
    # Each export and its helper were compiled on first call (function index = 2 * i + 1 and 2 * i).
    compiled = sorted(j for i in called for j in (2 * i, 2 * i + 1))
    assert first["compiled_here"] == first["has_code"] == compiled
    assert first["stats"] == {"compilations": 1, "memory_hits": 0, "disk_hits": 0}
    assert stored_functions(cache_dir) == compiled  # written at exit, not only what was compiled at instantiation
    second = run_embedder(cache_dir, wasm_file, called)
    assert second["compiled_here"] == [] and second["stats"] == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}


def test_code_loaded_lazily_from_the_entry_file_survives_the_exit_flush(cache_dir, wasm_file):
    """The exit flush runs before weakref's exit hook closes the entry files it still reads code from."""
    run_embedder(cache_dir, wasm_file, [1, 2])
    # Functions 2..5 are never called here: the flush must read their code from the open entry file.
    second = run_embedder(cache_dir, wasm_file, [9], "--file-regions")
    assert second["compiled_here"] == [18, 19] and second["stats"]["disk_hits"] == 1
    assert stored_functions(cache_dir) == [2, 3, 4, 5, 18, 19]
    third = run_embedder(cache_dir, wasm_file, [1, 2, 9], "--file-regions")
    assert third["compiled_here"] == []


def test_embedders_exiting_together_leave_one_valid_entry(cache_dir, wasm_file, tmp_path):
    go = str(tmp_path / "go")
    subsets = [list(range(k, FUNCTIONS, 4)) for k in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, "embed", cache_dir, wasm_file, ",".join(f"f{i}" for i in subset), "--go", go],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for subset in subsets
    ]
    open(go, "w").close()
    outs = []
    for proc, subset in zip(procs, subsets):
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr
        out = json.loads(stdout)
        assert out["results"] == {f"f{i}": expected_value(i) for i in subset}
        outs.append(out)
    store = DiskStore(cache_dir)
    (entry,) = store.entries()
    assert os.listdir(os.path.dirname(entry.path)) == [os.path.basename(entry.path)]  # no temp files left
    report = store.verify(remove_invalid=False)
    assert report.checked == report.valid == 1
    # Last complete write wins: the entry holds exactly what one of the processes had compiled.
    stored = stored_functions(cache_dir)
    assert stored in [out["has_code"] for out in outs]
    every = run_embedder(cache_dir, wasm_file, range(FUNCTIONS))
    assert every["stats"]["disk_hits"] == 1
    assert every["compiled_here"] == sorted(set(range(2 * FUNCTIONS)) - set(stored))
