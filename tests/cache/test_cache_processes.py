"""The disk store across processes: a second process compiles nothing, and
processes racing on one key all succeed and leave one valid entry."""

import json
import os
import subprocess
import sys

from _cachefake import FakeEngine, expected_results, key_for, lookup, results
from pywaz.cache import CompilationCache, DiskStore

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
