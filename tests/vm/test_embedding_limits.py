"""Limits: memory pages, call depth, and deadline interruption under both engines."""

from __future__ import annotations

import threading

import pytest

import pywaz
from pywaz import Trap, TrapKind
from pywaz.text import wat2wasm

ENGINES = ["interpreter", "compiler"]

WAT = """(module
  (import "env" "spin_host" (func $spin_host))
  (memory (export "memory") 1)
  (func (export "spin") (loop br 0))
  (func (export "spin_in_host") call $spin_host)
  (func (export "bump") (param i32) (result i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get 0)))
    (i32.load (i32.const 0)))
  (func $rec (export "rec") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0 else local.get 0 i32.const 1 i32.sub call $rec i32.const 1 i32.add end)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"""


def _host(runtime):
    def spin_host() -> None:
        while True:
            pass

    runtime.new_host_module("env").function("spin_host", spin_host).instantiate()


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def test_infinite_loop_is_interrupted_and_everything_stays_usable(engine):
    with pywaz.Runtime(engine) as runtime:
        _host(runtime)
        instance = runtime.instantiate(wat2wasm(WAT))
        exports = instance.exports
        with pytest.raises(Trap) as info:
            exports["spin"](timeout=0.2)
        assert info.value.kind is TrapKind.INTERRUPTED
        assert "interrupted" in str(info.value) and "0.2 s" in str(info.value)
        # The same instance, the runtime and its call-depth accounting all still work.
        assert exports["bump"](5) == 5 and exports["bump"](1) == 6
        assert exports["rec"](50) == 50
        assert runtime.call_depth.depth == 0 and runtime.call_depth.host_nesting == 0
        with pytest.raises(Trap) as info:
            exports["spin"].call_raw(timeout=0.1)
        assert info.value.kind is TrapKind.INTERRUPTED
        other = runtime.instantiate(wat2wasm(WAT))
        assert other.exports["bump"](2) == 2


def test_python_loop_in_host_function_is_interrupted_not_host_error(engine):
    with pywaz.Runtime(engine) as runtime:
        _host(runtime)
        instance = runtime.instantiate(wat2wasm(WAT))
        with pytest.raises(Trap) as info:
            instance.exports["spin_in_host"](timeout=0.2)
        assert info.value.kind is TrapKind.INTERRUPTED
        assert runtime.call_depth.host_nesting == 0
        assert instance.exports["bump"](3) == 3


def test_runtime_deadline_applies_to_calls_and_start_functions(engine):
    with pywaz.Runtime(engine, deadline=0.2) as runtime:
        _host(runtime)
        instance = runtime.instantiate(wat2wasm(WAT))
        with pytest.raises(Trap) as info:
            instance.exports["spin"]()
        assert info.value.kind is TrapKind.INTERRUPTED
        for _ in range(200):  # many short calls under a deadline: none is interrupted
            instance.exports["bump"](1)
        assert instance.exports["bump"](0) == 200
        with pytest.raises(Trap) as info:
            runtime.instantiate(wat2wasm("(module (func $s (loop br 0)) (start $s))"))
        assert info.value.kind is TrapKind.INTERRUPTED


def test_nested_entry_from_host_runs_under_the_outer_deadline(engine):
    with pywaz.Runtime(engine) as runtime:
        holder = {}

        def reenter() -> None:
            holder["spin"]()  # an inner entry with no timeout of its own

        runtime.new_host_module("env").function("spin_host", reenter).instantiate()
        instance = runtime.instantiate(wat2wasm(WAT))
        holder["spin"] = instance.exports["spin"]
        with pytest.raises(Trap) as info:
            instance.exports["spin_in_host"](timeout=0.2)
        assert info.value.kind is TrapKind.INTERRUPTED
        assert instance.exports["rec"](10) == 10


def test_deadline_interrupts_only_the_calling_thread(engine):
    with pywaz.Runtime(engine) as runtime:
        _host(runtime)
        instance = runtime.instantiate(wat2wasm(WAT))
        results = {}

        def worker():
            results["worker"] = sum(instance.exports["rec"](20) for _ in range(100))

        thread = threading.Thread(target=worker)
        thread.start()
        with pytest.raises(Trap):
            instance.exports["spin"](timeout=0.2)
        thread.join()
        assert results["worker"] == 2000


def test_bad_deadlines_are_refused():
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="positive number of seconds"):
            pywaz.Runtime(deadline=bad)
    for bad in ("1", True, [1]):
        with pytest.raises(TypeError, match="number of seconds"):
            pywaz.Runtime(deadline=bad)


def test_max_memory_pages(engine):
    with pywaz.Runtime(engine, max_memory_pages=3) as runtime:
        _host(runtime)
        instance = runtime.instantiate(wat2wasm(WAT))
        assert instance.exports["grow"](2) == 1
        assert instance.exports["grow"](1) == -1  # 4 pages > the runtime's cap
        assert instance.exports["memory"].grow(1) == -1 and instance.exports["memory"].size() == 3
        with pytest.raises(pywaz.InstantiationError, match="max_memory_pages"):
            runtime.instantiate(wat2wasm("(module (memory 4))"))
    with pytest.raises(ValueError, match="max_memory_pages"):
        pywaz.Runtime(max_memory_pages=-1)


def test_max_call_depth(engine):
    with pywaz.Runtime(engine, max_call_depth=300) as runtime:
        _host(runtime)
        instance = runtime.instantiate(wat2wasm(WAT))
        assert instance.exports["rec"](250) == 250
        with pytest.raises(Trap) as info:
            instance.exports["rec"](1000)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
        assert instance.exports["rec"](250) == 250  # usable afterwards
    with pytest.raises(ValueError, match="max_call_depth"):
        pywaz.Runtime(max_call_depth=0)


def test_timeout_inside_a_host_callback_keeps_the_outer_call_depth(engine):
    with pywaz.Runtime(engine) as runtime:
        holder, depths = {}, []

        def reenter() -> None:
            outer = (runtime.call_depth.depth, runtime.call_depth.host_nesting)
            with pytest.raises(Trap) as info:
                holder["spin"](timeout=0.1)  # the outer call has no deadline: this entry arms its own
            assert info.value.kind is TrapKind.INTERRUPTED
            depths.append((outer, (runtime.call_depth.depth, runtime.call_depth.host_nesting)))

        runtime.new_host_module("env").function("spin_host", reenter).instantiate()
        instance = runtime.instantiate(wat2wasm(WAT))
        holder["spin"] = instance.exports["spin"]
        instance.exports["spin_in_host"]()
        assert len(depths) == 1 and depths[0][0] == depths[0][1]
        assert runtime.call_depth.depth == 0 and runtime.call_depth.host_nesting == 0


def test_tiny_timeouts_never_leak_the_private_exception(engine):
    with pywaz.Runtime(engine) as runtime:
        _host(runtime)
        instance = runtime.instantiate(wat2wasm(WAT))
        bump = instance.exports["bump"]
        outcomes = set()
        for _ in range(300):
            try:
                bump(1, timeout=1e-6)
                outcomes.add("ok")
            except Trap as trap:
                assert trap.kind is TrapKind.INTERRUPTED
                outcomes.add("interrupted")
        # Whatever happened, nothing else is pending: plain Python code keeps running.
        total = sum(range(100000))
        assert total == 4999950000 and outcomes <= {"ok", "interrupted"}
        assert bump(0) >= 0


def test_many_short_timed_calls_do_not_pile_up_in_the_watchdog():
    from pywaz.vm.interrupt import _WATCHDOG

    with pywaz.Runtime() as runtime:
        _host(runtime)
        bump = runtime.instantiate(wat2wasm(WAT)).exports["bump"]
        for _ in range(2000):
            bump(1, timeout=60)
        assert bump(0) == 2000
        assert len(_WATCHDOG._heap) <= 64 and _WATCHDOG._live == 0
