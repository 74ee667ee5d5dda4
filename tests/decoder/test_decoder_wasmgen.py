"""tests/wasmgen.py itself: its encodings are byte-identical to wat2wasm's for well-formed modules."""

from pywaz.text import wat2wasm
from tests.wasmgen import (
    END,
    F64,
    FUNCREF,
    I32,
    I64,
    KIND_FUNC,
    KIND_MEMORY,
    block,
    blocktype,
    br_if,
    call,
    code_section,
    const_expr,
    data_active,
    data_passive,
    data_section,
    datacount_section,
    elem_active_funcs,
    element_section,
    export,
    export_section,
    f64_const,
    func_body,
    function_section,
    functype,
    global_entry,
    global_section,
    i32_const,
    i64_const,
    import_func,
    import_section,
    leb_s,
    leb_u,
    local_get,
    local_set,
    memarg,
    memory_section,
    memory_type,
    module,
    op,
    table_section,
    table_type,
    type_section,
    u32,
)


def test_leb_reference_values():
    assert leb_u(624485) == bytes.fromhex("e58e26")
    assert leb_s(-123456) == bytes.fromhex("c0bb78")
    assert leb_u(3, pad_to=3) == b"\x83\x80\x00"
    assert leb_s(-1, pad_to=2) == b"\xff\x7f"
    assert leb_s(1, pad_to=2) == b"\x81\x00"


def test_full_module_matches_wat2wasm():
    wat = """
    (module
      (type (func (param i32) (result i64)))
      (type (func))
      (import "env" "h" (func (type 1)))
      (table 2 funcref)
      (memory 1 3)
      (global (mut i32) (i32.const -7))
      (export "f" (func 1))
      (export "mem" (memory 0))
      (elem (i32.const 0) func 0 1)
      (func (type 0) (param i32) (result i64) (local i32 f64)
        block
          local.get 0
          br_if 0
          call 0
        end
        i32.const 0
        i64.load offset=8
        local.get 0
        local.set 1
        f64.const 1.5
        drop
        drop
        i64.const -1
        i64.add)
      (data (i32.const 16) "abc")
      (data "zz"))
    """
    ours = module(
        type_section(functype([I32], [I64]), functype()),
        import_section(import_func("env", "h", 1)),
        function_section(0),
        table_section(table_type(FUNCREF, 2)),
        memory_section(memory_type(1, 3)),
        global_section(global_entry(I32, True, const_expr(i32_const(-7)))),
        export_section(export("f", KIND_FUNC, 1), export("mem", KIND_MEMORY, 0)),
        element_section(elem_active_funcs(const_expr(i32_const(0)), [0, 1])),
        datacount_section(2),
        code_section(
            func_body(
                [(1, I32), (1, F64)],
                block(blocktype())
                + local_get(0)
                + br_if(0)
                + call(0)
                + END
                + i32_const(0)
                + op("i64.load", memarg(3, 8))
                + local_get(0)
                + local_set(1)
                + f64_const(1.5)
                + op("drop")
                + op("drop")
                + i64_const(-1)
                + op("i64.add")
                + END,
            )
        ),
        data_section(data_active(const_expr(i32_const(16)), b"abc"), data_passive(b"zz")),
    )
    theirs = bytes(wat2wasm(wat))
    # wat2wasm may or may not emit a data count section; compare without it when absent.
    if b"\x0c\x01\x02" not in theirs:
        ours = ours.replace(datacount_section(2), b"")
    assert ours == theirs


def test_prefixed_opcode_encoding_matches_wat2wasm():
    wat = "(module (func (param v128) (result v128) local.get 0 f64x2.convert_low_i32x4_u))"
    ours = module(
        type_section(functype([0x7B], [0x7B])),
        function_section(0),
        code_section(func_body((), local_get(0) + op("f64x2.convert_low_i32x4_u") + END)),
    )
    assert ours == bytes(wat2wasm(wat))
    assert op("f64x2.convert_low_i32x4_u") == b"\xfd" + u32(0xFF)
