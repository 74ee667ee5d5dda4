"""Fuel metering: exact, engine-independent counts; exhaustion; budgets; re-entry; API misuse.

One unit per wasm function entry and per taken branch to a loop label; every
engine and compile mode (interpreter lazy/eager, compiler lazy/eager, the
compiler's structured and flat lowerings) must spend the same units and trap
at the same point.
"""

from __future__ import annotations

import threading

import pytest

import pywaz
from pywaz import Trap, TrapKind
from pywaz.api import CompileOptions
from pywaz.cache import compute_key, module_digest
from pywaz.text import wat2wasm

CONFIGS = [
    pytest.param(("interpreter", "lazy"), id="interpreter-lazy"),
    pytest.param(("interpreter", "eager"), id="interpreter-eager"),
    pytest.param(("compiler", "lazy"), id="compiler-lazy"),
    pytest.param(("compiler", "eager"), id="compiler-eager"),
]
ALL_CONFIGS = [p.values[0] for p in CONFIGS]

WAT = """(module
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (type $unary (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $count $fib)
  (global $steps (export "steps") (mut i32) (i32.const 0))
  ;; n back-edges (br $next runs once per iteration) + 1 entry
  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (global.set $steps (i32.add (global.get $steps) (i32.const 1)))
        (br $next)))
    (local.get $i))
  ;; one entry per call, no loops
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  ;; a do-while: n-1 back-edges through br_if for n >= 1
  (func (export "dowhile") (param $n i32) (result i32)
    (local $i i32)
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  ;; nested loops: an inner loop continued from inside a block, the outer loop
  ;; re-entered from the inner one (a multi-level continue), calls in between
  (func (export "nested") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    (block $out
      (loop $outer
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $j (i32.const 0))
        (loop $inner
          (block $skip
            (br_if $skip (i32.and (local.get $j) (i32.const 1)))
            (local.set $acc (i32.add (local.get $acc)
              (call_indirect (type $unary) (local.get $j) (i32.const 1)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (local.get $m)))
          (br $outer))))
    (local.get $acc))
  ;; br_table whose targets mix a loop (index 0), a block (index 1) and the default (the loop)
  (func (export "table") (param $n i32) (result i32)
    (local $i i32) (local $hits i32)
    (block $done
      (loop $top
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $done (i32.gt_u (local.get $i) (local.get $n)))
        (block $mid
          (br_table $top $mid $top (i32.rem_u (local.get $i) (i32.const 3))))
        (local.set $hits (i32.add (local.get $hits) (i32.const 1)))
        (br $top)))
    (local.get $hits))
  ;; a host function that calls back into wasm
  (func (export "via_host") (param $n i32) (result i32)
    (i32.add (call $reenter (local.get $n)) (call $count (local.get $n))))
  (func (export "spin") (loop (br 0))))
"""


def fib_calls(n: int) -> int:
    return 1 if n < 2 else 1 + fib_calls(n - 1) + fib_calls(n - 2)


def nested_units(n: int, m: int) -> int:
    # entry + per outer iteration (m >= 1): m - 1 inner back-edges, 1 outer
    # back-edge, and the calls of fib(j) (through the table) for every even j < m.
    return 1 + n * ((m - 1) + 1 + sum(fib_calls(j) for j in range(0, m, 2)))


def table_units(n: int) -> int:
    # entry; i = 1..n: i % 3 in (0, 2) branches back through br_table, 1 reaches br $top.
    return 1 + n


EXPECTED = {
    ("count", (0,)): 1,
    ("count", (1,)): 2,
    ("count", (57,)): 58,
    ("dowhile", (1,)): 1,
    ("dowhile", (40,)): 40,
    ("fib", (0,)): 1,
    ("fib", (12,)): fib_calls(12),
    ("nested", (4, 5)): nested_units(4, 5),
    ("nested", (3, 1)): nested_units(3, 1),
    ("table", (30,)): table_units(30),
}


def make_runtime(config, fuel=10**9, **kwargs) -> pywaz.Runtime:
    engine, mode = config
    runtime = pywaz.Runtime(engine, compile_mode=mode, fuel=fuel, **kwargs)

    def reenter(caller: pywaz.Caller, n: pywaz.i32) -> pywaz.i32:
        return caller.get_export("count")(n)

    runtime.new_host_module("env").function("reenter", reenter).instantiate()
    return runtime


@pytest.fixture(scope="module")
def data() -> bytes:
    return wat2wasm(WAT)


@pytest.fixture(params=CONFIGS)
def config(request):
    return request.param


@pytest.mark.parametrize("call", list(EXPECTED), ids=lambda c: f"{c[0]}{c[1]}")
def test_consumed_fuel_is_exact_in_every_engine_and_mode(data, call):
    name, args = call
    for config in ALL_CONFIGS:
        with make_runtime(config) as runtime:
            instance = runtime.instantiate(data)
            instance.exports[name](*args)
            assert runtime.fuel_consumed == EXPECTED[call], config
            assert runtime.fuel_remaining == 10**9 - EXPECTED[call]


def test_exactly_enough_fuel_succeeds_and_one_less_traps(data, config):
    needed = EXPECTED[("count", (57,))]
    with make_runtime(config, fuel=needed) as runtime:
        count = runtime.instantiate(data).exports["count"]
        assert count(57) == 57
        assert (runtime.fuel_consumed, runtime.fuel_remaining) == (needed, 0)
        with pytest.raises(Trap) as info:
            count(57, fuel=needed - 1)
        assert info.value.kind is TrapKind.OUT_OF_FUEL
        assert str(info.value) == "all fuel consumed by WebAssembly"
        assert (runtime.fuel_consumed, runtime.fuel_remaining) == (needed - 1, 0)


def test_every_engine_traps_at_the_same_point(data):
    """For each budget short of the need, the trap leaves the same side effects everywhere."""
    total = EXPECTED[("count", (57,))]
    outcomes = {}
    for config in ALL_CONFIGS:
        with make_runtime(config) as runtime:
            instance = runtime.instantiate(data)
            seen = []
            for budget in (0, 1, 2, 3, 17, total - 1):
                instance.exports["steps"].value = 0
                with pytest.raises(Trap) as info:
                    instance.exports["count"](57, fuel=budget)
                assert info.value.kind is TrapKind.OUT_OF_FUEL
                seen.append((budget, runtime.fuel_consumed, instance.exports["steps"].value))
            outcomes[config] = seen
    first = outcomes[ALL_CONFIGS[0]]
    # budget b: entry + (b - 1) back-edges, each after one increment of steps
    assert first == [(b, b, max(b - 1, 0) + (1 if b else 0)) for b in (0, 1, 2, 3, 17, total - 1)]
    assert all(seen == first for seen in outcomes.values()), outcomes


def test_recursion_counts_every_call(data, config):
    with make_runtime(config, fuel=fib_calls(15)) as runtime:
        fib = runtime.instantiate(data).exports["fib"]
        assert fib(15) == 610 and runtime.fuel_remaining == 0
        with pytest.raises(Trap) as info:
            fib(15, fuel=fib_calls(15) - 1)
        assert info.value.kind is TrapKind.OUT_OF_FUEL
        assert info.value.wasm_stack and set(info.value.wasm_stack) == {"fib"}


def test_per_call_fuel_overrides_the_runtime_budget(data, config):
    with make_runtime(config, fuel=5) as runtime:
        count = runtime.instantiate(data).exports["count"]
        with pytest.raises(Trap):
            count(10)
        assert count(10, fuel=11) == 10 and runtime.fuel_consumed == 11
        assert count.call_raw(3, fuel=100) == 3 and runtime.fuel_remaining == 96
        with pytest.raises(Trap):  # the override was for those calls only
            count(10)
        assert runtime.fuel == 5


def test_host_function_reentering_wasm_draws_from_the_callers_budget(data, config):
    # via_host(n): its entry, reenter -> count(n) (n + 1), then count(n) directly (n + 1).
    n = 9
    need = 1 + 2 * (n + 1)
    with make_runtime(config, fuel=need) as runtime:
        via_host = runtime.instantiate(data).exports["via_host"]
        assert via_host(n) == 2 * n and runtime.fuel_consumed == need
        # Running out inside the re-entered call traps the whole call with OUT_OF_FUEL.
        with pytest.raises(Trap) as info:
            via_host(n, fuel=1 + n)
        assert info.value.kind is TrapKind.OUT_OF_FUEL
        assert runtime.fuel_consumed == 1 + n
        assert runtime.call_depth.depth == 0 and runtime.call_depth.host_nesting == 0


def test_a_nested_call_cannot_get_a_budget_of_its_own(data, config):
    """A host function re-entering wasm with fuel= still draws from the running call's budget."""
    with make_runtime(config, fuel=3) as runtime:
        count = runtime.instantiate(data).exports["count"]

        def generous(n: pywaz.i32) -> pywaz.i32:
            return count(n, fuel=10**9)

        runtime.new_host_module("generous").function("call", generous).instantiate()
        outer = runtime.instantiate(
            wat2wasm(
                '(module (import "generous" "call" (func $g (param i32) (result i32)))'
                ' (func (export "f") (param i32) (result i32) (call $g (local.get 0))))'
            )
        ).exports["f"]
        assert outer(1) == 1 and runtime.fuel_consumed == 3  # f, count, one back-edge
        with pytest.raises(Trap) as info:
            outer(2)
        assert info.value.kind is TrapKind.OUT_OF_FUEL and runtime.fuel_consumed == 3


def test_zero_fuel_traps_on_the_first_function_entry(data, config):
    with make_runtime(config, fuel=0) as runtime:
        instance = runtime.instantiate(data)  # no start function: nothing to spend
        with pytest.raises(Trap) as info:
            instance.exports["fib"](0)
        assert info.value.kind is TrapKind.OUT_OF_FUEL
        assert (runtime.fuel_consumed, runtime.fuel_remaining) == (0, 0)
        assert instance.exports["fib"](1, fuel=1) == 1


def test_start_function_runs_under_the_runtime_budget(config):
    data = wat2wasm(
        "(module (global (export \"g\") (mut i32) (i32.const 0))"
        " (func $start (loop $l (global.set 0 (i32.add (global.get 0) (i32.const 1)))"
        "   (br_if $l (i32.lt_u (global.get 0) (i32.const 10))))) (start $start))"
    )
    with make_runtime(config, fuel=10) as runtime:
        assert runtime.instantiate(data).exports["g"].value == 10
        assert runtime.fuel_consumed == 10
    with make_runtime(config, fuel=9) as runtime:
        with pytest.raises(Trap) as info:
            runtime.instantiate(data)
        assert info.value.kind is TrapKind.OUT_OF_FUEL


def test_an_endless_loop_runs_out_and_the_instance_stays_usable(data, config):
    with make_runtime(config, fuel=1000) as runtime:
        instance = runtime.instantiate(data)
        with pytest.raises(Trap) as info:
            instance.exports["spin"]()
        assert info.value.kind is TrapKind.OUT_OF_FUEL
        assert runtime.fuel_consumed == 1000
        assert instance.exports["count"](3) == 3 and runtime.fuel_consumed == 4


def test_fuel_and_timeout_together(data, config):
    with make_runtime(config, fuel=50) as runtime:
        instance = runtime.instantiate(data)
        assert instance.exports["count"](5, timeout=30) == 5 and runtime.fuel_consumed == 6
        with pytest.raises(Trap) as info:
            instance.exports["spin"](timeout=30)
        assert info.value.kind is TrapKind.OUT_OF_FUEL


def test_threads_have_their_own_budgets(data, config):
    with make_runtime(config, fuel=10**6) as runtime:
        instance = runtime.instantiate(data)
        barrier = threading.Barrier(4)
        results: dict[int, list] = {}

        def work(k: int) -> None:
            barrier.wait()
            seen = []
            for round_ in range(20):
                n = 10 * k + round_
                instance.exports["dowhile"](n, fuel=n)
                seen.append(runtime.fuel_consumed == n)
                with pytest.raises(Trap):
                    instance.exports["dowhile"](n, fuel=n - 1)
                seen.append(runtime.fuel_consumed == n - 1)
            results[k] = seen

        threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [1, 2, 3, 4]
        assert all(all(seen) and len(seen) == 40 for seen in results.values())


# -- the compiler's flat lowering ------------------------------------------------------------

DEPTH = 22  # more nested targeted loops than structured Python code may hold


def deep_wat() -> str:
    labels = " ".join(f"$L{k}" for k in range(DEPTH))
    opens = "".join(f"(loop $L{k} " for k in range(DEPTH))
    return f"""(module
      (func (export "deep") (param $n i32) (result i32)
        (local $i i32)
        (block $exit
          {opens}
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
            (br_table {labels} $L0 (i32.rem_u (local.get $i) (i32.const {DEPTH + 1})))
          {")" * DEPTH})
        (local.get $i)))"""


def test_flat_lowering_counts_like_the_interpreter():
    data = wat2wasm(deep_wat())
    for config in ALL_CONFIGS:
        with make_runtime(config) as runtime:
            compiled = runtime.compile_module(data)
            if config[0] == "compiler":
                assert compiled.artifact.function(0).flat  # the case under test
            instance = runtime.instantiate_module(compiled)
            assert instance.exports["deep"](100) == 100
            assert runtime.fuel_consumed == 100, config  # entry + 99 back-edges
            with pytest.raises(Trap):
                instance.exports["deep"](100, fuel=50)
            assert runtime.fuel_consumed == 50


# -- zero cost when off, and the cache key --------------------------------------------------


def test_unmetered_code_holds_no_fuel_check(data):
    with pywaz.Runtime("compiler", compile_mode="eager") as runtime:
        compiled = runtime.compile_module(data)
        sources = [compiled.functions.view(i, python=True).python_source for i in range(1, len(compiled.functions))]
        assert all(source and "_fuel" not in source for source in sources)
    with make_runtime(("compiler", "eager")) as runtime:
        source = runtime.compile_module(data).functions.view("count", python=True).python_source
        assert source.count("next(_fuel)") == 2  # the entry and the one back-edge
        source = runtime.compile_module(data).functions.view("fib", python=True).python_source
        assert source.count("next(_meter.fuel)") == 1 and "_fuel" not in source.replace("_meter.fuel", "")
    for fuel in (None, 10):
        with pywaz.Runtime("interpreter", compile_mode="eager", fuel=fuel) as runtime:
            artifact = runtime.compile_module(data).artifact
            codes = {code for function in artifact.codes for code, _ in function.prog}
            from pywaz.interpreter.prepare import FUEL, FUEL_JUMP

            assert bool(codes & {FUEL, FUEL_JUMP}) == (fuel is not None)


def test_metered_and_unmetered_code_have_different_cache_keys(data):
    digest = module_digest(data)
    for engine in ("interpreter", "compiler"):
        plain = compute_key(digest, engine, None, CompileOptions())
        metered = compute_key(digest, engine, None, CompileOptions(fuel=True))
        assert plain != metered
        assert compute_key(digest, engine, None, CompileOptions(fuel=True)) == metered


@pytest.mark.parametrize("engine", ["interpreter", "compiler"])
def test_a_shared_disk_cache_keeps_metered_and_unmetered_code_apart(data, tmp_path, engine):
    runs = []
    for fuel in (None, 20, None, 20):
        cache = pywaz.CompilationCache(directory=str(tmp_path / "cache"))
        with cache, make_runtime((engine, "lazy"), fuel=fuel, cache=cache) as runtime:
            instance = runtime.instantiate(data)
            if fuel is None:
                assert instance.exports["count"](100) == 100  # unmetered: no trap
            else:
                with pytest.raises(Trap):  # metered, also when the code came from the disk
                    instance.exports["count"](100)
                assert instance.exports["fib"](5) == 5 and runtime.fuel_consumed == fib_calls(5)
                if len(runs) == 3:  # a function first compiled after a disk hit is metered too
                    assert instance.exports["dowhile"](30, fuel=30) == 30 and runtime.fuel_remaining == 0
            runs.append(runtime.stats())
    assert runs[0]["compilations"] == runs[1]["compilations"] == 1
    assert runs[2]["disk_hits"] == runs[3]["disk_hits"] == 1 and runs[3]["compilations"] == 0


# -- API misuse ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [1.5, "10", True, b"1"])
def test_non_int_fuel_is_a_type_error(bad, data):
    with pytest.raises(TypeError, match="fuel must be an int"):
        pywaz.Runtime("interpreter", fuel=bad)
    with make_runtime(("interpreter", "lazy")) as runtime:
        with pytest.raises(TypeError, match="fuel must be an int"):
            runtime.instantiate(data).exports["fib"](3, fuel=bad)


def test_negative_fuel_is_a_value_error(data):
    with pytest.raises(ValueError, match="must not be negative"):
        pywaz.Runtime("compiler", fuel=-1)
    with make_runtime(("compiler", "lazy")) as runtime:
        with pytest.raises(ValueError, match="must not be negative"):
            runtime.instantiate(data).exports["fib"](3, fuel=-5)


def test_per_call_fuel_needs_a_metered_runtime(data):
    with pywaz.Runtime("compiler") as runtime:
        runtime.new_host_module("env").function("reenter", lambda n: n, params=["i32"], results=["i32"]).instantiate()
        fib = runtime.instantiate(data).exports["fib"]
        with pytest.raises(ValueError, match="Runtime\\(..., fuel=N\\)"):
            fib(3, fuel=10)
        assert fib(10) == 55 and runtime.fuel is None and runtime.fuel_consumed is None
