"""Command semantics of the spec runner (pywaz.spectest.runner), against a scripted fake pywaz.

The fake stands in for decoder, validator and runtime so each rule of the
runner -- skip versus fail, cascades after a broken module, trap text
matching, error classes -- is tested on its own, independent of the state
of the real stages.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pywaz.errors import DecodeError, LinkError, PywazError, Trap, TrapKind, ValidationError
from pywaz.ir import I32, func_type
from pywaz.spectest.backend import Stages, _Unavailable
from pywaz.spectest.runner import EngineConfig, check_trap, expected_trap_kind, run_script
from pywaz.spectest.script import parse_script
from pywaz.vm.objects import Function, Global

I32_TO_I32 = func_type((I32,), (I32,))


class FakeInstance:
    def __init__(self, exports):
        self.exports = exports
        self.funcs = [e for e in exports.values() if isinstance(e, Function)]


class FakeHostBuilder:
    def __init__(self, runtime, name):
        self.runtime, self.name, self.parts = runtime, name, []

    def function(self, name, fn, params, results):
        self.parts.append(("func", name, tuple(params), tuple(results)))
        return self

    def global_(self, name, valtype, value, mutable=False):
        self.parts.append(("global", name, valtype, value, mutable))
        return self

    def memory(self, name, minimum, maximum, address_type="i32"):
        wide = (address_type,) if address_type != "i32" else ()
        self.parts.append(("memory", name, minimum, maximum) + wide)
        return self

    def table(self, name, elem_type, minimum, maximum, address_type="i32"):
        wide = (address_type,) if address_type != "i32" else ()
        self.parts.append(("table", name, elem_type, minimum, maximum) + wide)
        return self

    def instantiate(self):
        self.runtime.host_parts = self.parts
        return FakeInstance({})


class FakeRuntime:
    """Modules are Python callables keyed by their 'bytes'; instantiate calls them."""

    modules: dict = {}
    instances: list = []

    def __init__(self, engine, compile_mode=None):
        self.engine, self.compile_mode = engine, compile_mode
        self.registered = {}
        self.closed = False
        FakeRuntime.instances.append(self)

    def new_host_module(self, name):
        return FakeHostBuilder(self, name)

    def register(self, name, instance):
        self.registered[name] = instance

    def compile_module(self, data):
        behaviour = self.modules[data]
        if isinstance(behaviour, BaseException):
            raise behaviour
        return behaviour

    def instantiate_module(self, compiled, config):
        return FakeInstance(compiled(self))

    def close(self):
        self.closed = True


def fake_decode(data):
    if data.startswith(b"malformed"):
        raise DecodeError("unexpected end", offset=8)
    if data.startswith(b"unsupported"):
        raise NotImplementedError("SIMD not supported yet")
    if data.startswith(b"crash"):
        raise IndexError("list index out of range")
    imports = (SimpleNamespace(module="shared", name="f"),) if data.startswith(b"imports-shared") else ()
    return SimpleNamespace(data=data, imports=imports)


def fake_validate(module):
    if module.data.startswith(b"invalid"):
        raise ValidationError("type mismatch", offset=20, func_index=0)
    return module


STAGES = Stages(fake_decode, fake_validate, FakeRuntime, lambda: None)


def echo_exports(runtime):
    def add_one(x):
        return (x + 1) & 0xFFFFFFFF

    def boom(x):
        raise Trap(TrapKind.UNINITIALIZED_ELEMENT, "2") if x else Trap(TrapKind.INT_DIV_BY_ZERO)

    def recurse(x):
        return recurse(x)

    def bug(x):
        raise ZeroDivisionError("division by zero")

    def later(x):
        raise NotImplementedError("v128 lowering not implemented yet")

    return {
        "add_one": Function(I32_TO_I32, add_one),
        "boom": Function(I32_TO_I32, boom),
        "recurse": Function(I32_TO_I32, recurse),
        "stack": Function(I32_TO_I32, lambda x: (_ for _ in ()).throw(Trap(TrapKind.CALL_STACK_EXHAUSTED))),
        "bug": Function(I32_TO_I32, bug),
        "later": Function(I32_TO_I32, later),
        "g": Global(SimpleNamespace(valtype=I32, mutable=False), 42),
    }


def start_traps(runtime):
    raise Trap(TrapKind.UNREACHABLE)


def link_fails(runtime):
    raise LinkError("unknown import shared.f")


@pytest.fixture(autouse=True)
def modules():
    FakeRuntime.modules = {
        b"echo": echo_exports,
        b"start-traps": start_traps,
        b"imports-shared": link_fails,
        b"compile-unsupported": NotImplementedError("SIMD not supported yet"),
        b"compile-crash": KeyError("oops"),
        b"unsupported-at-decode": NotImplementedError("SIMD not supported yet"),
    }
    FakeRuntime.instances = []
    yield


def run(commands, binaries, config=EngineConfig()):
    script = parse_script("t", None, {"commands": commands})
    script._binaries.update(binaries)
    return run_script(script, config, STAGES)


def module(line, filename, name=None):
    command = {"type": "module", "line": line, "filename": filename}
    if name:
        command["name"] = name
    return command


def invoke(field, *args, module=None):
    action = {"type": "invoke", "field": field, "args": [{"type": "i32", "value": str(a)} for a in args]}
    if module:
        action["module"] = module
    return action


def ret(line, action, *values):
    return {"type": "assert_return", "line": line, "action": action,
            "expected": [{"type": "i32", "value": str(v)} for v in values]}


def trap(line, action, text):
    return {"type": "assert_trap", "line": line, "action": action, "text": text, "expected": []}


def outcome(result, line):
    if any(f.line == line for f in result.failures):
        return "failed"
    return "passed" if line in result.passed_lines else "skipped"


BIN = {"m.wasm": b"echo"}


def test_module_and_assert_return_pass_and_fail():
    result = run([module(1, "m.wasm"), ret(2, invoke("add_one", 1), 2), ret(3, invoke("add_one", 1), 5)], BIN)
    assert (result.passed, result.failed, result.skipped) == (2, 1, 0)
    (failure,) = result.failures
    assert failure.line == 3 and failure.command == "assert_return"
    assert "expected i32:5" in failure.message and "i32:2" in failure.message


def test_fresh_runtime_per_script_with_spectest_host_module_registered():
    run([module(1, "m.wasm")], BIN, EngineConfig("compiler", "eager"))
    run([module(1, "m.wasm")], BIN, EngineConfig("compiler", "eager"))
    first, second = FakeRuntime.instances
    assert first is not second
    assert (first.engine, first.compile_mode) == ("compiler", "eager")
    assert "spectest" in first.registered and first.closed
    names = {part[1] for part in first.host_parts}
    assert {"print_i32", "print_f64_f64", "global_i32", "global_f64", "table", "memory"} <= names
    assert ("table", "table", "funcref", 10, 20) in first.host_parts
    assert ("table", "table64", "funcref", 10, 20, "i64") in first.host_parts
    assert ("memory", "memory", 1, 2) in first.host_parts


def test_get_action_reads_raw_global_value():
    get = {"type": "get", "field": "g"}
    result = run([module(1, "m.wasm"), ret(2, get, 42), ret(3, get, 41)], BIN)
    assert [outcome(result, line) for line in (2, 3)] == ["passed", "failed"]


def test_missing_export_fails_cleanly():
    result = run([module(1, "m.wasm"), ret(2, invoke("nope", 1), 2)], BIN)
    assert "no export named 'nope'" in result.failures[0].message


def test_trap_text_and_kind_matching():
    result = run([
        module(1, "m.wasm"),
        trap(2, invoke("boom", 0), "integer divide by zero"),
        trap(3, invoke("boom", 1), "uninitialized element 2"),  # reference text carries the index
        trap(4, invoke("boom", 0), "integer overflow"),  # wrong kind
        trap(5, invoke("add_one", 0), "unreachable"),  # nothing trapped
        trap(6, invoke("bug", 0), "integer divide by zero"),  # a Python exception is not a trap
    ], BIN)
    assert [outcome(result, line) for line in range(2, 7)] == ["passed", "passed", "failed", "failed", "failed"]
    messages = {f.line: f.message for f in result.failures}
    assert "ZeroDivisionError" in messages[6]


def test_check_trap_prefix_rule():
    check_trap(Trap(TrapKind.OUT_OF_BOUNDS_MEMORY, "address 70000"), "out of bounds memory access")
    assert expected_trap_kind("uninitialized element 2") is TrapKind.UNINITIALIZED_ELEMENT
    assert expected_trap_kind("something else") is None


def test_exhaustion_requires_the_call_stack_trap():
    result = run([
        module(1, "m.wasm"),
        {"type": "assert_exhaustion", "line": 2, "action": invoke("stack", 0), "text": "call stack exhausted"},
        {"type": "assert_exhaustion", "line": 3, "action": invoke("recurse", 0), "text": "call stack exhausted"},
    ], BIN)
    assert outcome(result, 2) == "passed"
    assert outcome(result, 3) == "failed"
    assert "RecursionError" in result.failures[0].message


def test_not_implemented_is_skipped_with_its_reason():
    result = run([module(1, "m.wasm"), ret(2, invoke("later", 1), 2)], BIN)
    assert outcome(result, 2) == "skipped"
    assert result.skip_reasons == {"v128 lowering not implemented yet": 1}


def test_unexpected_exception_is_a_failure_not_a_crash():
    result = run([module(1, "m.wasm"), ret(2, invoke("bug", 1), 2), ret(3, invoke("add_one", 1), 2)], BIN)
    assert outcome(result, 2) == "failed" and "ZeroDivisionError" in result.failures[0].message
    assert outcome(result, 3) == "passed"


def test_skipped_module_skips_its_commands_with_the_root_reason():
    result = run([module(1, "s.wasm"), ret(2, invoke("add_one", 1), 2), trap(3, invoke("boom", 0), "x")],
                 {"s.wasm": b"compile-unsupported"})
    assert (result.passed, result.failed, result.skipped) == (0, 0, 3)
    assert result.skip_reasons == {"SIMD not supported yet": 3}


def test_failed_module_fails_later_commands_without_testing_an_older_module():
    result = run([
        module(1, "m.wasm"),
        module(2, "bad.wasm"),
        ret(3, invoke("add_one", 1), 2),  # must not silently run against the module of line 1
        module(4, "m.wasm"),
        ret(5, invoke("add_one", 1), 2),
    ], {"m.wasm": b"echo", "bad.wasm": b"compile-crash"})
    assert [outcome(result, line) for line in (1, 2, 3, 4, 5)] == ["passed", "failed", "failed", "passed", "passed"]
    messages = {f.line: f.message for f in result.failures}
    assert "KeyError" in messages[2]
    assert "line 2" in messages[3]


def test_named_modules_and_register():
    result = run([
        module(1, "m.wasm", name="$A"),
        {"type": "register", "line": 2, "as": "shared", "name": "$A"},
        module(3, "bad.wasm", name="$B"),
        ret(4, invoke("add_one", 7, module="$A"), 8),
        ret(5, invoke("add_one", 7, module="$B"), 8),
        ret(6, invoke("add_one", 7, module="$C"), 8),
        {"type": "register", "line": 7, "as": "other"},
    ], {"m.wasm": b"echo", "bad.wasm": b"compile-crash"})
    assert [outcome(result, line) for line in range(1, 8)] == [
        "passed", "passed", "failed", "passed", "failed", "failed", "failed"]
    runtime = FakeRuntime.instances[0]
    assert set(runtime.registered) == {"spectest", "shared"}
    assert "no module named $C" in {f.line: f.message for f in result.failures}[6]


def test_link_failure_caused_by_a_skipped_registered_module_is_a_skip():
    result = run([
        module(1, "s.wasm"),
        {"type": "register", "line": 2, "as": "shared"},
        module(3, "user.wasm"),
    ], {"s.wasm": b"compile-unsupported", "user.wasm": b"imports-shared"})
    assert (result.passed, result.failed, result.skipped) == (0, 0, 3)


def test_malformed_and_invalid_check_the_error_class():
    result = run([
        {"type": "assert_malformed", "line": 1, "filename": "a", "text": "unexpected end", "module_type": "binary"},
        {"type": "assert_malformed", "line": 2, "filename": "b", "text": "unexpected end", "module_type": "binary"},
        {"type": "assert_malformed", "line": 3, "filename": "c", "text": "unexpected end", "module_type": "binary"},
        {"type": "assert_invalid", "line": 4, "filename": "b", "text": "type mismatch", "module_type": "binary"},
        {"type": "assert_invalid", "line": 5, "filename": "a", "text": "type mismatch", "module_type": "binary"},
        {"type": "assert_invalid", "line": 6, "filename": "c", "text": "type mismatch", "module_type": "binary"},
        {"type": "assert_malformed", "line": 7, "filename": "d.wat", "text": "x", "module_type": "text"},
        {"type": "assert_invalid", "line": 8, "filename": "e", "text": "x", "module_type": "binary"},
        {"type": "assert_malformed", "line": 9, "filename": "f", "text": "x", "module_type": "binary"},
    ], {"a": b"malformed", "b": b"invalid", "c": b"echo", "e": b"unsupported", "f": b"crash",
        "d.wat": b"(module (func i32.bogus))"})
    # Line 7: a text module that pywaz's assembler rejects is malformed, as the command expects.
    assert [outcome(result, line) for line in range(1, 10)] == [
        "passed", "failed", "failed", "passed", "failed", "failed", "passed", "skipped", "failed"]
    messages = {f.line: f.message for f in result.failures}
    assert "ValidationError" in messages[2]
    assert "DecodeError" in messages[5]
    assert "IndexError" in messages[9]
    assert "SIMD not supported" in next(iter(result.skip_reasons))


def test_unlinkable_and_uninstantiable():
    result = run([
        {"type": "assert_unlinkable", "line": 1, "filename": "l", "text": "unknown import", "module_type": "binary"},
        {"type": "assert_unlinkable", "line": 2, "filename": "m", "text": "unknown import", "module_type": "binary"},
        {"type": "assert_uninstantiable", "line": 3, "filename": "t", "text": "unreachable", "module_type": "binary"},
        {"type": "assert_uninstantiable", "line": 4, "filename": "l", "text": "unreachable", "module_type": "binary"},
        {"type": "assert_uninstantiable", "line": 5, "filename": "t", "text": "out of bounds table access",
         "module_type": "binary"},
        {"type": "assert_trap", "line": 6, "filename": "t", "text": "unreachable", "module_type": "binary"},
    ], {"l": b"imports-shared", "m": b"echo", "t": b"start-traps"})
    assert [outcome(result, line) for line in range(1, 7)] == [
        "passed", "failed", "passed", "failed", "failed", "passed"]


def test_each_command_counted_once_by_type():
    result = run([module(1, "m.wasm"), ret(2, invoke("add_one", 1), 2), ret(3, invoke("add_one", 1), 3),
                  {"type": "action", "line": 4, "action": invoke("add_one", 1), "expected": [{"type": "i32"}]},
                  {"type": "bogus", "line": 5}],
                 BIN)
    assert result.by_command == {"module": [1, 0, 0], "assert_return": [1, 1, 0], "action": [1, 0, 0],
                                 "bogus": [0, 1, 0]}
    assert result.total == 5


def test_missing_runtime_skips_but_still_checks_valid_modules_decode():
    stages = Stages(fake_decode, fake_validate, _Unavailable("pywaz.Runtime", None), lambda: None)
    script = parse_script("t", None, {"commands": [module(1, "m.wasm"), module(2, "x.wasm"),
                                                   ret(3, invoke("add_one", 1), 2)]})
    script._binaries.update({"m.wasm": b"echo", "x.wasm": b"invalid-but-expected-valid"})
    result = run_script(script, EngineConfig(), stages)
    assert [outcome(result, line) for line in (1, 2, 3)] == ["skipped", "failed", "failed"]
    assert "rejected by the validator" in result.failures[0].message
    assert result.skip_reasons == {"pywaz.Runtime is not available yet": 1}


class Wrapped:
    """Like the VM's ExportedFunction: embedder __call__ converts, call_raw does not."""

    def __init__(self, function):
        self.function = function
        self.raw_calls = 0

    def __call__(self, *args):
        raise AssertionError("the harness must use call_raw")

    def call_raw(self, *args):
        self.raw_calls += 1
        return self.function.call(*args)


def test_public_wrappers_are_called_through_call_raw():
    wrapped = Wrapped(Function(I32_TO_I32, lambda x: 0xFFFFFFFF))
    FakeRuntime.modules[b"wrapped"] = lambda runtime: {"f": wrapped}
    result = run([module(1, "w.wasm"), ret(2, invoke("f", 0), 0xFFFFFFFF)], {"w.wasm": b"wrapped"})
    assert result.passed == 2 and wrapped.raw_calls == 1


@pytest.mark.parametrize("error,outcome_name", [(ValueError("unknown engine 'x'"), "failed"),
                                                (NotImplementedError("no runtime yet"), "skipped")])
def test_runtime_that_cannot_be_created(error, outcome_name):
    class BrokenRuntime(FakeRuntime):
        def __init__(self, engine, compile_mode=None):
            raise error

    stages = Stages(fake_decode, fake_validate, BrokenRuntime, lambda: None)
    script = parse_script("t", None, {"commands": [module(1, "m.wasm"), ret(2, invoke("add_one", 1), 2),
                                                   module(3, "m.wasm")]})
    script._binaries.update(BIN)
    result = run_script(script, EngineConfig(), stages)
    assert [outcome(result, line) for line in (1, 2, 3)] == [outcome_name] * 3
    if outcome_name == "failed":
        assert all("cannot set up the runtime" in f.message or "line" in f.message for f in result.failures)
        assert "unknown engine" in result.failures[0].message


def test_a_command_that_never_ends_fails_on_the_watchdog():
    def spin(x):
        while True:
            try:
                pass
            except Exception:  # engine code catching Exception must not swallow the timeout
                pass

    FakeRuntime.modules[b"spin"] = lambda runtime: {"spin": Function(I32_TO_I32, spin)}
    script = parse_script("t", None, {"commands": [module(1, "s.wasm"), ret(2, invoke("spin", 0), 0),
                                                   module(3, "m.wasm"), ret(4, invoke("add_one", 1), 2)]})
    script._binaries.update({"s.wasm": b"spin", "m.wasm": b"echo"})
    result = run_script(script, EngineConfig(), STAGES, timeout=0.2)
    assert [outcome(result, line) for line in (1, 2, 3, 4)] == ["passed", "failed", "passed", "passed"]
    assert "timed out" in result.failures[0].message


# -- WebAssembly 3.0 scripts ------------------------------------------------------------


class Unsupported(PywazError, NotImplementedError):
    """Like the engines' UnsupportedOpcode: pywaz refusing something it does not implement."""


class WasmException(PywazError):
    """The shape of an uncaught wasm exception: a tag and a payload."""

    def __init__(self, tag, payload):
        super().__init__("uncaught exception")
        self.tag, self.payload = tag, payload


def v3_exports(runtime):
    counter = [0]

    def bump(x):
        counter[0] += 1
        return counter[0]

    def throw(x):
        raise WasmException(object(), (x,))

    def refuse(x):
        raise Unsupported("relaxed SIMD is not implemented")

    return {
        "bump": Function(I32_TO_I32, bump),
        "throw": Function(I32_TO_I32, throw),
        "trap": Function(I32_TO_I32, lambda x: (_ for _ in ()).throw(Trap(TrapKind.UNREACHABLE))),
        "add_one": Function(I32_TO_I32, lambda x: (x + 1) & 0xFFFFFFFF),
        "refuse": Function(I32_TO_I32, refuse),
    }


def wt_module(line, filename, name=None, ctype="module", **extra):
    """A module command as wasm-tools writes it: module_type always, names without $."""
    command = {"type": ctype, "line": line, "filename": filename, "module_type": "binary", **extra}
    if name:
        command["name"] = name
    return command


def test_pywaz_refusing_a_feature_is_a_failure_with_its_message_not_a_skip():
    FakeRuntime.modules[b"v3"] = v3_exports
    FakeRuntime.modules[b"proposal"] = Unsupported("the memory64 proposal is not implemented: limits at byte 11")
    result = run([
        module(1, "v3.wasm"), ret(2, invoke("refuse", 1), 2),
        module(3, "p.wasm"), ret(4, invoke("add_one", 1), 2),
    ], {"v3.wasm": b"v3", "p.wasm": b"proposal"})
    assert [outcome(result, line) for line in (1, 2, 3, 4)] == ["passed", "failed", "failed", "failed"]
    messages = {f.line: f.message for f in result.failures}
    assert "relaxed SIMD is not implemented" in messages[2]
    assert "memory64 proposal" in messages[3] and "memory64 proposal" in messages[4]
    assert result.skipped == 0


def test_module_definition_instantiates_only_on_module_instance_and_each_instance_is_new():
    calls = []
    FakeRuntime.modules[b"v3"] = lambda runtime: calls.append(1) or v3_exports(runtime)
    result = run([
        wt_module(1, "v3.wasm", "M", ctype="module_definition"),
        {"type": "module_instance", "line": 2, "instance": "I1", "module": "M"},
        {"type": "module_instance", "line": 3, "instance": "I2", "module": "M"},
        {"type": "register", "line": 4, "name": "I1", "as": "I1"},
        ret(5, invoke("bump", 0, module="I1"), 1),
        ret(6, invoke("bump", 0, module="I1"), 2),
        ret(7, invoke("bump", 0, module="I2"), 1),  # a second, independent instance
        ret(8, invoke("bump", 0), 2),  # the current module is the last instance, I2
        {"type": "module_instance", "line": 9, "instance": "I3", "module": "nope"},
        {"type": "register", "line": 10, "name": "I3", "as": "I3"},
    ], {"v3.wasm": b"v3"})
    assert [outcome(result, line) for line in range(1, 11)] == ["passed"] * 8 + ["failed", "failed"]
    assert len(calls) == 2
    messages = {f.line: f.message for f in result.failures}
    assert "no module definition named nope" in messages[9]
    assert "no module definition named nope" in messages[10]  # the reason, not "no module I3"


def test_a_definition_is_validated_and_does_not_change_the_current_module():
    result = run([
        wt_module(1, "m.wasm"),
        wt_module(2, "bad.wasm", ctype="module_definition"),
        ret(3, invoke("add_one", 1), 2),
        {"type": "module_instance", "line": 4},  # the last definition: the broken one
        wt_module(5, "m.wasm", ctype="module_definition"),
        {"type": "module_instance", "line": 6, "instance": "J"},
        ret(7, invoke("add_one", 1, module="J"), 2),
    ], {"m.wasm": b"echo", "bad.wasm": b"compile-crash"})
    assert [outcome(result, line) for line in range(1, 8)] == [
        "passed", "failed", "passed", "failed", "passed", "passed", "passed"]
    assert "KeyError" in {f.line: f.message for f in result.failures}[4]


def test_wabt_spellings_of_definition_and_instance():
    FakeRuntime.modules[b"v3"] = v3_exports
    result = run([
        {"type": "module", "line": 1, "filename": "v3.wasm", "name": "$M", "definition": "true"},
        {"type": "instance", "line": 2, "instance": "$I", "definition": "$M"},
        ret(3, invoke("bump", 0, module="$I"), 1),
    ], {"v3.wasm": b"v3"})
    assert result.by_command == {"module_definition": [1, 0, 0], "module_instance": [1, 0, 0],
                                 "assert_return": [1, 0, 0]}


def test_assert_exception_needs_an_uncaught_wasm_exception():
    FakeRuntime.modules[b"v3"] = v3_exports
    result = run([
        wt_module(1, "v3.wasm"),
        {"type": "assert_exception", "line": 2, "action": invoke("throw", 1)},
        {"type": "assert_exception", "line": 3, "action": invoke("trap", 1)},
        {"type": "assert_exception", "line": 4, "action": invoke("add_one", 1)},
        {"type": "assert_trap", "line": 5, "action": invoke("throw", 1), "text": "unreachable"},
    ], {"v3.wasm": b"v3"})
    assert [outcome(result, line) for line in range(1, 6)] == ["passed", "passed", "failed", "failed", "failed"]
    messages = {f.line: f.message for f in result.failures}
    assert "got Trap: unreachable" in messages[3]
    assert "but it returned" in messages[4]
    assert "WasmException" in messages[5]  # an exception is not a trap


def test_custom_section_asserts():
    result = run([
        wt_module(1, "ok.wasm", ctype="assert_invalid_custom", text="@metadata.code.branch_hint: invalid target"),
        wt_module(2, "bad.wasm", ctype="assert_invalid_custom", text="@metadata.code.branch_hint: invalid target"),
        {"type": "assert_malformed_custom", "line": 3, "filename": "x.wat", "module_type": "text",
         "text": "duplicate annotation"},
    ], {"ok.wasm": b"echo", "bad.wasm": b"malformed",
        "x.wat": b'(module (func (@metadata.code.branch_hint "\\01") (@metadata.code.branch_hint "\\01") nop))'})
    # Line 3: the assembler reads branch hints and reports the duplicate, the error the command names.
    assert [outcome(result, line) for line in (1, 2, 3)] == ["passed", "failed", "passed"]
    assert "only problem is in a custom section" in result.failures[0].message


def test_text_modules_with_a_binary_form_run_from_the_binary():
    result = run([
        {"type": "module", "line": 1, "filename": "m.wat", "module_type": "text", "binary_filename": "m.wasm"},
        ret(2, invoke("add_one", 1), 2),
        {"type": "assert_invalid", "line": 3, "filename": "i.wat", "module_type": "text",
         "binary_filename": "i.wasm", "text": "type mismatch"},
        {"type": "module", "line": 4, "filename": "n.wat", "module_type": "text"},  # no binary form
    ], {"m.wasm": b"echo", "i.wasm": b"invalid", "m.wat": b"(module)", "i.wat": b"(module)", "n.wat": b"(module"})
    # Line 4 has only text, which pywaz assembles; this text is malformed, so the module fails.
    assert [outcome(result, line) for line in (1, 2, 3, 4)] == ["passed", "passed", "passed", "failed"]
    assert "does not assemble" in result.failures[0].message


def test_wasm_tools_signed_arguments_and_names_without_dollar():
    result = run([
        wt_module(1, "m.wasm", "A"),
        {"type": "assert_return", "line": 2,
         "action": {"type": "invoke", "field": "add_one", "module": "A", "args": [{"type": "i32", "value": "-2"}]},
         "expected": [{"type": "i32", "value": "-1"}]},
        {"type": "register", "line": 3, "name": "A", "as": "shared"},
    ], BIN)
    assert (result.passed, result.failed, result.skipped) == (3, 0, 0), result.failures


def test_link_failure_caused_by_a_failed_registered_module_names_it():
    result = run([
        module(1, "bad.wasm"),
        {"type": "register", "line": 2, "as": "shared"},
        module(3, "user.wasm"),
    ], {"bad.wasm": b"compile-crash", "user.wasm": b"imports-shared"})
    assert [outcome(result, line) for line in (1, 2, 3)] == ["failed"] * 3
    message = {f.line: f.message for f in result.failures}[3]
    assert "imports from 'shared', the module at line 1, which is unavailable" in message and "KeyError" in message
