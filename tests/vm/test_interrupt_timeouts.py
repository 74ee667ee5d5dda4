"""Timeout values at their extremes: huge, infinite, NaN, negative (issue 18, bug 2).

A finite but enormous timeout (``1e300``) used to kill the watchdog thread with
``OverflowError`` (``Condition.wait`` cannot represent it), leaving every other
thread's deadline unenforced. Now anything beyond a year means "no limit", and
the watchdog clamps its own waits besides. No test here measures speed: the
deadlines that must fire guard infinite loops, the others guard short calls.
"""

from __future__ import annotations

import math
import threading

import pytest

import pywaz
from pywaz import Trap, TrapKind
from pywaz.spectest.watchdog import Watchdog as CommandWatchdog
from pywaz.text import wat2wasm
from pywaz.vm import interrupt
from pywaz.vm.interrupt import MAX_TIMEOUT, check_timeout, run_with_deadline

ENGINES = ["interpreter", "compiler"]
HUGE = [1e300, math.inf, 10**400, MAX_TIMEOUT * 2]

WAT = """(module
  (import "env" "block" (func $block))
  (func (export "spin") (loop br 0))
  (func (export "blocked") (param i32) (result i32) call $block local.get 0)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"""


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture
def thread_errors(monkeypatch):
    """Exceptions that escape any thread (the watchdog's included) during the test."""
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_value))
    return seen


def _instance(runtime, block=lambda: None):
    runtime.new_host_module("env").function("block", block, params=[], results=[]).instantiate()
    return runtime.instantiate(wat2wasm(WAT))


@pytest.mark.parametrize("seconds", HUGE, ids=["1e300", "inf", "10**400", "two-years"])
def test_huge_timeouts_mean_no_limit(engine, seconds, thread_errors):
    assert check_timeout(seconds) is None
    with pywaz.Runtime(engine, deadline=seconds) as runtime:
        assert runtime.deadline is None
        add = _instance(runtime).exports["add"]
        assert add(2, 3, timeout=seconds) == 5
        assert add.call_raw(2, 3, timeout=seconds) == 5
    assert thread_errors == []


def test_timeouts_up_to_a_year_are_kept():
    assert check_timeout(MAX_TIMEOUT) == MAX_TIMEOUT
    assert check_timeout(3) == 3.0 and type(check_timeout(3)) is float
    assert check_timeout(1e-9) == 1e-9


@pytest.mark.parametrize("bad", [0, -1, -0.5, -math.inf, math.nan])
def test_zero_negative_and_nan_timeouts_are_refused(engine, bad):
    with pytest.raises(ValueError, match="positive number of seconds"):
        pywaz.Runtime(deadline=bad)
    with pywaz.Runtime(engine) as runtime:
        add = _instance(runtime).exports["add"]
        with pytest.raises(ValueError, match="positive number of seconds"):
            add(1, 2, timeout=bad)
        with pytest.raises(ValueError, match="positive number of seconds"):
            add.call_raw(1, 2, timeout=bad)


def test_an_infinite_call_timeout_overrides_the_runtime_deadline(engine):
    # The host function outlives the runtime's deadline many times over; with
    # timeout=inf the call is not interrupted, without it it is.
    never = threading.Event()

    def block() -> None:
        never.wait(0.5)

    with pywaz.Runtime(engine, deadline=0.05) as runtime:
        blocked = _instance(runtime, block).exports["blocked"]
        assert blocked(7, timeout=math.inf) == 7
        with pytest.raises(Trap) as info:
            blocked(7)
        assert info.value.kind is TrapKind.INTERRUPTED


def test_a_huge_deadline_in_one_thread_leaves_another_threads_deadline_working(engine, thread_errors):
    """Thread A runs under a 1e300 s deadline (armed in the watchdog, bypassing
    check_timeout) while the main thread's infinite loop must still be interrupted."""
    entered, release = threading.Event(), threading.Event()
    outcome = {}
    with pywaz.Runtime(engine) as runtime:
        def block() -> None:
            entered.set()
            release.wait(60)

        exports = _instance(runtime, block).exports
        blocked, spin = exports["blocked"], exports["spin"]

        def worker():
            try:
                outcome["a"] = run_with_deadline(1e300, runtime.call_depth, blocked, 11)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["a"] = exc

        thread = threading.Thread(target=worker)
        thread.start()
        try:
            assert entered.wait(60), "thread A never started its call"
            assert exports["add"](1, 1, timeout=1e300) == 2  # and one through the public API
            with pytest.raises(Trap) as info:
                spin(timeout=0.2)
            assert info.value.kind is TrapKind.INTERRUPTED
        finally:
            release.set()
            thread.join(60)
        assert outcome["a"] == 11
        assert exports["add"](2, 2, timeout=1e300) == 4
    assert thread_errors == []
    assert interrupt._WATCHDOG._thread is not None and interrupt._WATCHDOG._thread.is_alive()


def test_the_watchdog_clamps_what_it_is_given():
    watchdog = interrupt.Watchdog()
    for seconds in (1e300, math.inf, math.nan):
        deadline = watchdog.arm(seconds)
        try:
            assert deadline.when - interrupt.time.monotonic() <= MAX_TIMEOUT
        finally:
            watchdog.disarm(deadline)
    assert watchdog._live == 0


@pytest.mark.parametrize("seconds", [1e300, math.inf, MAX_TIMEOUT * 2, 0, None])
def test_spectest_command_watchdog_without_a_practical_limit_is_off(seconds):
    watchdog = CommandWatchdog(seconds)
    assert not watchdog.enabled and watchdog.seconds is None
    with watchdog:
        watchdog.arm()  # used to raise OverflowError from setitimer
        watchdog.disarm()


@pytest.mark.parametrize("bad", [-1, math.nan])
def test_spectest_command_watchdog_refuses_negative_and_nan(bad):
    with pytest.raises(ValueError):
        CommandWatchdog(bad)


def test_spectest_command_watchdog_keeps_a_real_limit():
    watchdog = CommandWatchdog(30)
    assert watchdog.seconds == 30.0
    assert watchdog.enabled == (threading.current_thread() is threading.main_thread())


@pytest.mark.parametrize("bad", ["nan", "-1", "soon"])
def test_spectest_cli_refuses_bad_timeouts(bad, capsys):
    from pywaz.cli import main

    with pytest.raises(SystemExit) as info:
        main(["spectest", "--timeout", bad, "i32"])
    assert info.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_hammer_huge_and_ordinary_deadlines_from_many_threads(thread_errors):
    """N threads behind a barrier arm huge, infinite and ordinary deadlines M times each."""
    threads_count, iterations = 4, 200
    barrier = threading.Barrier(threads_count)
    failures = []
    with pywaz.Runtime("compiler") as runtime:
        exports = _instance(runtime).exports
        add, spin = exports["add"], exports["spin"]

        def worker(index):
            try:
                barrier.wait(60)
                for i in range(iterations):
                    kind = (index + i) % 3
                    if kind == 0:  # straight into the watchdog, past check_timeout
                        got = run_with_deadline(1e300, runtime.call_depth, add.call_raw, i, index)
                    elif kind == 1:
                        got = add(i, index, timeout=math.inf)
                    else:
                        got = add(i, index, timeout=30)
                    if got != i + index:
                        failures.append((index, i, got))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(120)
        assert failures == [] and not any(thread.is_alive() for thread in workers)
        assert interrupt._WATCHDOG._live == 0
        with pytest.raises(Trap) as info:  # the watchdog still enforces deadlines afterwards
            spin(timeout=0.2)
        assert info.value.kind is TrapKind.INTERRUPTED
    assert thread_errors == []


# Run in a child process: without the watchdog's re-injection this call never returns.
_SWALLOWED = r"""
import json, sys, time
import pywaz
from pywaz.text import wat2wasm
wat = '''(module (import "env" "swallow" (func $swallow))
  (func (export "spin") call $swallow (loop br 0)))'''
swallowed = []
def swallow():
    try:
        while True:
            time.sleep(0.001)
    except BaseException as exc:  # an embedder's host function that eats everything, once
        swallowed.append(type(exc).__name__)
with pywaz.Runtime(sys.argv[1]) as runtime:
    runtime.new_host_module("env").function("swallow", swallow, params=[], results=[]).instantiate()
    spin = runtime.instantiate(wat2wasm(wat)).exports["spin"]
    start = time.monotonic()
    try:
        spin(timeout=0.1)
    except pywaz.Trap as trap:
        print(json.dumps([trap.kind.name, swallowed, time.monotonic() - start]))
"""


@pytest.mark.parametrize("engine", ["interpreter", "compiler", "tiered"])
def test_an_interruption_a_host_function_swallowed_is_injected_again(engine):
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _SWALLOWED, engine], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    kind, swallowed, seconds = json.loads(done.stdout)
    assert kind == "INTERRUPTED"
    assert swallowed == ["Interrupted"]  # the first injection landed in the host function and was eaten
    assert seconds >= interrupt.REFIRE_SECONDS  # the trap came from a later injection


def test_a_deadline_is_injected_again_until_it_is_disarmed(monkeypatch):
    injected = []
    monkeypatch.setattr(interrupt, "REFIRE_SECONDS", 0.01)
    monkeypatch.setattr(interrupt, "_set_async_exc", lambda thread, exc: injected.append(exc))
    watchdog = interrupt.Watchdog()
    deadline = watchdog.arm(0.01, interrupt.Deadline(0.0, -1))  # a thread id that does not exist
    interrupt.time.sleep(0.3)
    watchdog.disarm(deadline)
    fired = sum(1 for exc in injected if exc is not None)
    assert fired >= 3 and injected[-1] is None  # fired again and again; disarming withdrew the pending one
    interrupt.time.sleep(0.05)
    assert sum(1 for exc in injected if exc is not None) == fired and watchdog._live == 0
