"""Objects of one Runtime are refused by another (issue 18, bug 5).

A function of runtime A used to be accepted by runtime B as a funcref argument
and as a table entry, and then called under the wrong runtime's limits. Every
path by which a funcref enters from Python is checked here, plus imports
(which can only come from a registered instance), under both engines.
"""

from __future__ import annotations

import threading

import pytest

import pywaz
from pywaz import ArgumentError, LinkError, Trap, TrapKind
from pywaz.ir import func_type
from pywaz.text import wat2wasm
from pywaz.vm.objects import Function

ENGINES = ["interpreter", "compiler"]

WAT = """(module
  (import "env" "give" (func $give (result funcref)))
  (memory (export "memory") 1)
  (global (export "g") (mut funcref) (ref.null func))
  (global (export "n") (mut i32) (i32.const 0))
  (table $t (export "table") 2 funcref)
  (type $ii (func (param i32) (result i32)))
  (func $inc (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "spin") (loop br 0))
  (func (export "call_ref") (param funcref i32) (result i32)
    i32.const 1 local.get 0 table.set $t
    local.get 1 i32.const 1 call_indirect (type $ii))
  (func (export "take_from_host") (result i32) i32.const 1 call $give table.set $t i32.const 1 table.get $t ref.is_null)
  (elem declare func $inc))"""

IMPORTER = """(module
  (import "a" "%s" %s))"""
IMPORTS = {
    "inc": "(func (param i32) (result i32))",
    "memory": "(memory 1)",
    "table": "(table 2 funcref)",
    "n": "(global (mut i32))",
}


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def _runtime(engine, give=lambda: None, **options):
    runtime = pywaz.Runtime(engine, **options)
    runtime.new_host_module("env").function("give", give, params=[], results=["funcref"]).instantiate()
    return runtime


@pytest.fixture
def pair(engine):
    """Two runtimes with the same module; B's host function hands out A's ``inc``."""
    holder = {}
    with _runtime(engine) as a, _runtime(engine, lambda: holder["foreign"]) as b:
        ia, ib = a.instantiate(wat2wasm(WAT)), b.instantiate(wat2wasm(WAT))
        holder["foreign"] = ia.exports["inc"]
        yield a, b, ia.exports, ib.exports


def test_a_foreign_function_is_refused_as_an_argument(pair):
    _, _, mine_a, mine = pair
    foreign = mine_a["inc"]
    assert mine["call_ref"](mine["inc"], 41) == 42  # its own function: fine
    for value in (foreign, foreign.function):
        with pytest.raises(ArgumentError, match="another Runtime"):
            mine["call_ref"](value, 41)
        assert mine["table"].get(1).function is mine.raw("inc")  # nothing was called or stored
    with pytest.raises(ArgumentError, match="another Runtime"):
        mine["call_ref"].call_raw(foreign.function, 41)
    assert mine["call_ref"].call_raw(mine.raw("inc"), 1) == 2


def test_a_foreign_function_is_refused_as_a_table_entry(pair):
    _, _, mine_a, mine = pair
    foreign, table = mine_a["inc"], mine["table"]
    for value in (foreign, foreign.function):
        with pytest.raises(ArgumentError, match="table entry 0: .*another Runtime"):
            table.set(0, value)
        with pytest.raises(ArgumentError, match="another Runtime"):
            table.grow(1, value)
    assert table.get(0) is None and table.size() == 2
    table.set(0, mine["inc"])
    assert table.grow(1, mine["inc"]) == 2 and table.get(2).function is mine.raw("inc")


def test_a_foreign_function_is_refused_as_a_global_value(pair):
    _, _, mine_a, mine = pair
    with pytest.raises(ArgumentError, match="another Runtime"):
        mine["g"].set(mine_a["inc"])
    assert mine["g"].value is None
    mine["g"].value = mine["inc"]
    assert mine["g"].value.function is mine.raw("inc")


def test_a_foreign_function_returned_by_a_host_function_traps(pair):
    _, _, _, mine = pair
    with pytest.raises(Trap) as info:
        mine["take_from_host"]()
    assert info.value.kind is TrapKind.HOST_ERROR and "another Runtime" in str(info.value)
    assert isinstance(info.value.__cause__, ArgumentError)
    assert mine["table"].get(1) is None


def test_host_modules_refuse_foreign_functions_and_check_their_own(engine):
    with _runtime(engine) as a, _runtime(engine) as b:
        exports_a = a.instantiate(wat2wasm(WAT)).exports
        with pytest.raises(ArgumentError, match="global fn: .*another Runtime"):
            b.new_host_module("h").global_("fn", "funcref", exports_a["inc"])
        # Host functions know their runtime too.
        host_a = a.new_host_module("ha").function("f", lambda x: x, params=["i32"], results=["i32"]).instantiate()
        exports_b = b.instantiate(wat2wasm(WAT)).exports
        with pytest.raises(ArgumentError, match="another Runtime"):
            exports_b["table"].set(0, host_a.exports["f"])
        host_b = b.new_host_module("hb").function("f", lambda x: x, params=["i32"], results=["i32"]).instantiate()
        exports_b["table"].set(0, host_b.exports["f"])
        # A Function made outside any runtime belongs to none and is not refused.
        loose = Function(func_type([0x7F], [0x7F]), lambda x: x)
        exports_b["table"].set(1, loose)
        assert exports_b["call_ref"](loose, 5) == 5


def test_a_caller_sees_the_same_rule(engine):
    seen = []
    with _runtime(engine) as a:
        foreign = a.instantiate(wat2wasm(WAT)).exports["inc"]

        def give(caller: pywaz.Caller) -> pywaz.funcref:
            try:
                caller.exports["table"].set(0, foreign)
            except ArgumentError as exc:
                seen.append(str(exc))
            return None

        with pywaz.Runtime(engine) as b:
            b.new_host_module("env").function("give", give).instantiate()
            exports = b.instantiate(wat2wasm(WAT)).exports
            assert exports["take_from_host"]() == 1
            assert exports["table"].get(0) is None
    assert len(seen) == 1 and "another Runtime" in seen[0]


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_another_runtimes_instance_cannot_be_linked(engine, name):
    with _runtime(engine) as a, _runtime(engine) as b:
        instance_a = a.instantiate(wat2wasm(WAT))
        with pytest.raises(LinkError, match="'a': the instance belongs to another Runtime"):
            b.register("a", instance_a)
        importer = wat2wasm(IMPORTER % (name, IMPORTS[name]))
        with pytest.raises(LinkError, match=f'unknown import "a" "{name}"'):
            b.instantiate(importer)
        a.register("a", instance_a)  # the same instance links fine in its own runtime
        assert a.instantiate(importer) is not None


def test_a_function_taken_from_a_table_runs_under_its_runtimes_deadline(engine):
    """A wrapper made for a funcref value belongs to the function's runtime, deadline included."""
    with _runtime(engine, deadline=0.2) as runtime:
        exports = runtime.instantiate(wat2wasm(WAT)).exports
        exports["table"].set(0, exports["spin"])
        spin = exports["table"].get(0)
        outcome = []

        def call():
            try:
                spin()
            except Trap as trap:
                outcome.append(trap.kind)

        # Guarded by a thread so a regression fails the test instead of hanging the suite.
        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        thread.join(60)
        assert outcome == [TrapKind.INTERRUPTED]
