"""The lowering pass: structure disappears, branches resolve, fusion respects targets."""

import wasmtime

import pywaz
from pywaz.interpreter import prepare as P
from pywaz.text import wat2wasm


def lowered(wat: str, runtime, index: int = 0):
    instance = runtime.instantiate(wat2wasm(wat))
    artifact = instance.module_instance.engine_state
    return instance, artifact.get_code(index)


def test_blocks_and_ends_emit_nothing_and_branches_resolve(runtime):
    _, code = lowered(
        """(module (func (param i32) (result i32)
          (block $b (result i32) (i32.const 7) (br_if $b (local.get 0)) (drop) (i32.const 9))))""",
        runtime,
    )
    codes = [c for c, _ in code.prog]
    assert codes[-1] == P.RETURN
    branch = next(a for c, a in code.prog if c == P.BR_IF)
    target, height, arity = branch
    assert (height, arity) == (0, 1)
    assert code.prog[target][0] == P.RETURN  # the block's end is the function's end


def test_loop_label_targets_loop_start_with_param_arity(runtime):
    _, code = lowered(
        """(module (func (param i32) (result i32)
          (i32.const 1)
          (loop $l (param i32) (result i32)
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br_if $l (local.get 0)))))""",
        runtime,
    )
    (target, height, arity) = next(
        a[-3:] for c, a in code.prog if c in (P.BR_IF, P.GET_CONST_BINOP_BR_IF, P.BINOP_BR_IF)
    )
    assert arity == 1 and height == 0
    assert target == 1  # right after the const that precedes the loop


def test_fusion_never_swallows_a_branch_target(runtime):
    # The loop starts at the second local.get, so "local.get; local.get; add" must not fuse.
    instance, code = lowered(
        """(module (func (export "f") (param i32 i32) (result i32)
          (local.get 0)
          (loop $l (param i32) (result i32)
            (local.get 1) (i32.add)
            (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
            (br_if $l (local.tee 0) (local.get 1)) )))""",
        runtime,
    )
    assert P.GET_GET_BINOP not in [c for c, _ in code.prog[:1]]
    reference_store = wasmtime.Store()
    data = wat2wasm(
        """(module (func (export "f") (param i32 i32) (result i32)
          (local.get 0)
          (loop $l (param i32) (result i32)
            (local.get 1) (i32.add)
            (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
            (br_if $l (local.tee 0) (local.get 1)) )))"""
    )
    reference = wasmtime.Instance(reference_store, wasmtime.Module(reference_store.engine, data), []).exports(
        reference_store
    )
    for args in ((0, 5), (3, 1), (10, 2)):
        assert instance.exports["f"](*args) == reference["f"](reference_store, *args)


def test_functions_are_lowered_lazily_once():
    data = wat2wasm(
        '(module (func (export "a") (result i32) i32.const 1) (func (export "b") (result i32) i32.const 2))'
    )
    with pywaz.Runtime("interpreter") as rt:
        instance = rt.instantiate(data)
        artifact = instance.module_instance.engine_state
        assert artifact.codes == [None, None]
        assert instance.exports["b"]() == 2
        assert artifact.codes[0] is None and artifact.codes[1] is not None
        first = artifact.codes[1]
        instance.exports["b"]()
        assert artifact.codes[1] is first
    with pywaz.Runtime("interpreter", compile_mode="eager") as rt:
        artifact = rt.instantiate(data).module_instance.engine_state
        assert all(code is not None for code in artifact.codes)
