"""Module header, section framing and every section's contents (binary §5.5)."""

import pytest

from pywaz.decoder import decode_module
from pywaz.features import Features, ProposalDisabledError, ProposalNotImplementedError
from pywaz.errors import DecodeError
from pywaz.ir import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    HT_FUNC,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    MODE_PASSIVE,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    func_type,
    ref_type,
)
from pywaz.opcodes import Op
from tests.wasmgen import (
    END,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    HEADER,
    I32,
    I64,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    V128,
    code_section,
    const_expr,
    custom_section,
    data_active,
    data_active_memory,
    data_passive,
    data_section,
    datacount_section,
    elem_active_exprs,
    elem_active_funcs,
    elem_active_table_exprs,
    elem_active_table_funcs,
    elem_declarative_exprs,
    elem_declarative_funcs,
    elem_passive_exprs,
    elem_passive_funcs,
    element_section,
    export,
    export_section,
    func_body,
    function_section,
    functype,
    global_entry,
    global_get,
    global_section,
    global_type,
    i32_const,
    i64_const,
    import_func,
    import_global,
    import_memory,
    import_section,
    import_table,
    memory_section,
    memory_type,
    module,
    name,
    op,
    ref_func,
    ref_null,
    section,
    start_section,
    table_section,
    table_type,
    type_section,
    u32,
    u64,
    vec,
)


def malformed(data: bytes, message: str, features=None) -> DecodeError:
    """Decode ``data`` expecting a DecodeError whose message starts with ``message``."""
    with pytest.raises(DecodeError) as info:
        decode_module(data, features)
    assert info.value.message.startswith(message), info.value.message
    assert info.value.offset is not None
    return info.value


# ---------------------------------------------------------------- header


def test_empty_module():
    m = decode_module(HEADER)
    assert m.types == () and m.codes == () and m.start is None and m.data_count is None
    assert m.size == 8 and m.section_sizes == ()


def test_accepts_bytearray_and_memoryview():
    data = module(type_section(functype([I32], [])))
    assert decode_module(bytearray(data)).types == decode_module(memoryview(data)).types


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x00as", b"\x00asm", b"\x00asm\x01", b"\x00asm\x01\x00\x00"])
def test_truncated_header(data):
    malformed(data, "unexpected end")


@pytest.mark.parametrize(
    "data", [b"\x00\x00\x00\x01msa\x00", b"\x00ASM\x01\x00\x00\x00", b"\xef\xbb\xbf\x00asm\x01\x00\x00\x00"]
)
def test_bad_magic(data):
    assert malformed(data, "magic header not detected").offset == 0


@pytest.mark.parametrize(
    "version", [b"\x00\x00\x00\x00", b"\x0d\x00\x00\x00", b"\x00\x00\x00\x01", b"\x01\x00\x00\x01"]
)
def test_bad_version(version):
    assert malformed(b"\x00asm" + version, "unknown binary version").offset == 4


# ---------------------------------------------------------------- framing


def test_malformed_section_id():
    data = HEADER + b"\x0e\x00"  # 13 is the tag section (exception handling)
    assert malformed(data, "malformed section id").offset == 8
    malformed(HEADER + b"\x7f\x00", "malformed section id")


def test_section_size_beyond_module_is_length_out_of_bounds():
    # type section claims 7 bytes, 4 remain
    malformed(HEADER + b"\x01\x07\x02\x60\x00\x00", "length out of bounds")


def test_section_with_extra_content_is_size_mismatch():
    # type section of size 7 holding one type (3 bytes) and 3 extra bytes
    malformed(HEADER + section(1, vec([functype()]) + functype()), "section size mismatch")


def test_section_content_shorter_than_vector_is_unexpected_end():
    malformed(HEADER + section(5, u32(1)), "unexpected end of section or function")  # 1 memory, 0 given


def test_section_id_without_size():
    malformed(HEADER + b"\x00", "unexpected end")
    malformed(HEADER + b"\x01", "unexpected end")


def test_duplicate_section():
    data = module(type_section(functype()), type_section(functype()))
    malformed(data, "unexpected content after last section")


def test_out_of_order_sections():
    data = module(function_section(), type_section())
    malformed(data, "unexpected content after last section")
    # data count must come before code
    data = module(type_section(functype()), function_section(0), code_section(func_body()), datacount_section(0))
    malformed(data, "unexpected content after last section")


def test_every_section_in_order_with_customs_between():
    parts = [
        type_section(functype([I32], [I64])),
        import_section(import_func("env", "f", 0)),
        function_section(0),
        table_section(table_type(FUNCREF, 1)),
        memory_section(memory_type(1)),
        global_section(global_entry(I32, False, const_expr(i32_const(0)))),
        export_section(export("f", KIND_FUNC, 1)),
        start_section(0),
        element_section(elem_active_funcs(const_expr(i32_const(0)), [1])),
        datacount_section(1),
        code_section(func_body((), i64_const(1) + END)),
        data_section(data_passive(b"x")),
    ]
    pieces = []
    for i, part in enumerate(parts):
        pieces += [custom_section(f"c{i}", b"payload"), part]
    pieces.append(custom_section("last"))
    m = decode_module(module(*pieces))
    assert [c.name for c in m.customs] == [f"c{i}" for i in range(len(parts))] + ["last"]
    assert all(c.data == b"payload" for c in m.customs[:-1]) and m.customs[-1].data == b""
    ids = [entry[0] for entry in m.section_sizes if entry[0] != 0]
    assert ids == [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11]
    assert m.data_count == 1 and m.start == 0


def test_section_sizes_record_offsets():
    types = type_section(functype())
    data = module(types, custom_section("x", b"ab"))
    m = decode_module(data)
    (tid, toff, tsize), (cid, coff, csize) = m.section_sizes
    assert (tid, toff, tsize) == (1, 10, 4)
    assert data[toff : toff + tsize] == vec([functype()])
    assert cid == 0 and data[coff : coff + csize] == name("x") + b"ab"


def test_custom_section_offset_and_bad_names():
    data = module(custom_section("hello", b"\x01\x02"))
    (custom,) = decode_module(data).customs
    assert custom.name == "hello" and data[custom.offset :] == b"\x01\x02"
    malformed(module(custom_section(b"\xff\xfe")), "malformed UTF-8 encoding")
    malformed(module(custom_section(b"\xed\xa0\x80")), "malformed UTF-8 encoding")  # surrogate
    malformed(module(custom_section(b"\xc0\x80")), "malformed UTF-8 encoding")  # overlong
    # name longer than the section: section size 1, name length 5
    malformed(HEADER + b"\x00\x01\x05abcde", "unexpected end")
    malformed(HEADER + b"\x00\x00", "unexpected end")


# ---------------------------------------------------------------- type, import, function, table, memory


def test_type_section():
    m = decode_module(module(type_section(functype(), functype([I32, I64, F32, F64, V128], [FUNCREF, EXTERNREF]))))
    assert m.types[0] is func_type((), ())
    assert m.types[1] is func_type((I32, I64, F32, F64, V128), (FUNCREF, EXTERNREF))


def test_type_section_errors():
    malformed(module(section(1, vec([b"\x61\x00\x00"]))), "malformed function type")
    malformed(module(section(1, vec([b"\xe0\x7f\x00\x00"]))), "integer representation too long")
    malformed(module(section(1, vec([b"\x60\x01\x7a\x00"]))), "malformed value type")
    malformed(module(section(1, vec([b"\x60\x01\x40\x00"]))), "malformed value type")


def test_import_section_all_kinds():
    m = decode_module(
        module(
            type_section(functype()),
            import_section(
                import_func("m", "f", 0),
                import_table("m", "t", table_type(EXTERNREF, 1, 10)),
                import_memory("m", "mem", memory_type(2)),
                import_global("m", "g", global_type(F64, True)),
            ),
        )
    )
    f, t, mem, g = m.imports
    assert (f.module, f.name, f.kind, f.desc) == ("m", "f", EXTERN_FUNC, 0)
    assert (t.kind, t.desc) == (EXTERN_TABLE, TableType(EXTERNREF, Limits(1, 10)))
    assert (mem.kind, mem.desc) == (EXTERN_MEMORY, MemoryType(Limits(2, None)))
    assert (g.kind, g.desc) == (EXTERN_GLOBAL, GlobalType(F64, True))
    assert f.offset < t.offset < mem.offset < g.offset


def test_import_errors():
    malformed(module(import_section(name("m") + name("f") + b"\x05\x00")), "malformed import kind")
    malformed(module(import_section(name("m") + name("f") + b"\x03\x7f\x02")), "malformed mutability")
    malformed(module(import_section(name("m") + name("f") + b"\x01\x7f\x00\x00")), "malformed reference type")
    malformed(module(import_section(name(b"\x80") + name("f") + b"\x00\x00")), "malformed UTF-8 encoding")
    malformed(module(import_section(name("m") + name(b"\xf8\x88\x80\x80\x80") + b"\x00\x00")), "malformed UTF-8")
    # name length larger than the rest of the module
    malformed(module(section(2, u32(1) + u32(100))), "length out of bounds")


def test_function_table_memory_sections():
    m = decode_module(
        module(
            type_section(functype(), functype([I32])),
            function_section(1, 0, 1),
            table_section(table_type(FUNCREF, 0), table_type(EXTERNREF, 3, 4)),
            memory_section(memory_type(1, 65536)),
            code_section(func_body(), func_body(), func_body()),
        )
    )
    assert m.functions == (1, 0, 1)
    assert m.tables == (TableType(FUNCREF, Limits(0, None)), TableType(EXTERNREF, Limits(3, 4)))
    assert m.memories == (MemoryType(Limits(1, 65536)),)


def test_two_memories_are_not_a_decode_error():
    m = decode_module(module(memory_section(memory_type(1), memory_type(2))))
    assert len(m.memories) == 2  # "multiple memories" is a validation rule


def test_limits_flags_2_0():
    wasm2 = Features.wasm2()
    malformed(module(section(5, u32(1) + b"\x02\x00")), "integer too large", wasm2)
    malformed(module(section(5, u32(1) + b"\x81\x00\x00")), "integer representation too long", wasm2)
    malformed(module(section(4, u32(1) + b"\x70\x08\x00")), "integer too large", wasm2)
    malformed(module(section(5, u32(1) + b"\x00\x80\x80\x80\x80\x10")), "integer too large", wasm2)
    assert malformed(module(section(5, u32(1) + b"\x04\x00")), "integer too large", wasm2).proposal == "memory64"
    assert malformed(module(section(5, u32(1) + b"\x03\x00\x01")), "integer too large", wasm2).proposal == "threads"


def test_limits_flags():
    malformed(module(section(5, u32(1) + b"\x08\x00")), "malformed limits flags")
    malformed(module(section(5, u32(1) + b"\x81\x00\x00")), "malformed limits flags")
    malformed(module(section(4, u32(1) + b"\x70\x02\x00")), "malformed limits flags")  # a shared table
    # 3.0 reads every size as a u64 (a 32-bit memory of 2**32 pages is invalid, not malformed).
    malformed(module(section(5, u32(1) + b"\x00" + b"\x80" * 9 + b"\x02")), "integer too large")
    assert decode_module(module(section(5, u32(1) + b"\x00\x80\x80\x80\x80\x10"))).memories[0].limits.min == 1 << 32


def test_64_bit_limits():
    m = decode_module(module(section(4, u32(1) + b"\x70\x04" + u64(1 << 33))
                             + section(5, u32(1) + b"\x05" + u64(1) + u64(1 << 40))))
    assert m.memories[0] == MemoryType(Limits(1, 1 << 40), I64)
    assert m.tables[0] == TableType(FUNCREF, Limits(1 << 33), I64)
    assert decode_module(module(memory_section(memory_type(1)))).memories[0].address_type == I32


def test_shared_memory_is_the_threads_proposal():
    shared = decode_module(module(section(5, u32(1) + b"\x03\x00\x01"))).memories[0]
    assert shared == MemoryType(Limits(0, 1), I32, shared=True)
    shared64 = decode_module(module(section(5, u32(1) + b"\x07\x00\x01"))).memories[0]
    assert shared64 == MemoryType(Limits(0, 1), I64, shared=True)
    # Without a maximum it decodes (flag 0x02), and is invalid.
    assert decode_module(module(section(5, u32(1) + b"\x02\x00"))).memories[0].shared
    with pytest.raises(ProposalDisabledError) as info:
        decode_module(module(section(5, u32(1) + b"\x03\x00\x01")), Features(threads=False))
    assert info.value.proposal == "threads"
    with pytest.raises(ProposalNotImplementedError) as info:
        decode_module(module(section(5, u32(1) + b"\x03\x00\x01")), Features(threads=None))
    assert info.value.proposal == "threads"


# ---------------------------------------------------------------- global, export, start


def test_global_section():
    m = decode_module(
        module(
            global_section(
                global_entry(I32, False, const_expr(i32_const(-1))),
                global_entry(I64, True, const_expr(i64_const(-2))),
                global_entry(FUNCREF, False, const_expr(ref_null(FUNCREF))),
                global_entry(I32, False, const_expr(global_get(0), i32_const(1), op("i32.add"))),
            )
        )
    )
    g0, g1, g2, g3 = m.globals_
    assert g0.type == GlobalType(I32, False) and g0.init.ops == (Op.I32_CONST,) and g0.init.imms == (0xFFFFFFFF,)
    assert g1.type == GlobalType(I64, True) and g1.init.imms == (0xFFFFFFFFFFFFFFFE,)
    assert g2.init.ops == (Op.REF_NULL,) and g2.init.imms == (FUNCREF,)
    # non-constant instructions decode fine: constness is the validator's rule
    assert g3.init.ops == (Op.GLOBAL_GET, Op.I32_CONST, Op.I32_ADD)


def test_global_init_missing_end_reads_on_like_the_reference():
    # init expression lacks `end`; the next section's id (0x0a) is read as an opcode
    # (0x0a is throw_ref in 3.0: under 2.0 rules it is an illegal opcode, named as exception handling's)
    data = HEADER + b"\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x06\x05\x01\x7f\x00\x41\x00\x0a\x04\x01\x02\x00\x0b"
    with pytest.raises(ProposalDisabledError) as info:
        decode_module(data, Features.wasm2())
    assert info.value.proposal == "exceptions" and info.value.offset == data.index(b"\x0a\x04")


def test_export_section():
    m = decode_module(
        module(
            export_section(
                export("f", KIND_FUNC, 3),
                export("t", KIND_TABLE, 0),
                export("m", KIND_MEMORY, 1),
                export("g", KIND_GLOBAL, 7),
            )
        )
    )
    assert [(e.name, e.kind, e.index) for e in m.exports] == [
        ("f", EXTERN_FUNC, 3),
        ("t", EXTERN_TABLE, 0),
        ("m", EXTERN_MEMORY, 1),
        ("g", EXTERN_GLOBAL, 7),
    ]
    malformed(module(export_section(name("x") + b"\x05\x00")), "malformed export kind")


def test_start_section():
    assert decode_module(module(start_section(300))).start == 300
    malformed(module(section(8, b"")), "unexpected end")


# ---------------------------------------------------------------- elements


def test_all_eight_element_encodings():
    offset = const_expr(i32_const(5))
    funcs_expr = [const_expr(ref_func(2)), const_expr(ref_null(FUNCREF))]
    m = decode_module(
        module(
            element_section(
                elem_active_funcs(offset, [0, 1]),
                elem_passive_funcs([2]),
                elem_active_table_funcs(3, offset, [4]),
                elem_declarative_funcs([5, 6]),
                elem_active_exprs(offset, funcs_expr),
                elem_passive_exprs(EXTERNREF, [const_expr(ref_null(EXTERNREF))]),
                elem_active_table_exprs(1, offset, FUNCREF, funcs_expr),
                elem_declarative_exprs(FUNCREF, [const_expr(ref_func(9))]),
            )
        )
    )
    s = m.elements
    assert [seg.mode for seg in s] == [
        MODE_ACTIVE,
        MODE_PASSIVE,
        MODE_ACTIVE,
        MODE_DECLARATIVE,
        MODE_ACTIVE,
        MODE_PASSIVE,
        MODE_ACTIVE,
        MODE_DECLARATIVE,
    ]
    assert [seg.table_index for seg in s] == [0, 0, 3, 0, 0, 0, 1, 0]
    # 3.0: a segment of function indexes holds (ref func), never null; 2.0 read them all as funcref.
    non_null_func = ref_type(False, HT_FUNC)
    assert [seg.elem_type for seg in s] == [non_null_func] * 4 + [FUNCREF, EXTERNREF, FUNCREF, FUNCREF]
    for seg in s:
        if seg.mode == MODE_ACTIVE:
            assert seg.offset_expr.ops == (Op.I32_CONST,) and seg.offset_expr.imms == (5,)
        else:
            assert seg.offset_expr is None
    assert [(e.ops, e.imms) for e in s[0].init] == [((Op.REF_FUNC,), (0,)), ((Op.REF_FUNC,), (1,))]
    assert [e.imms for e in s[3].init] == [(5,), (6,)]
    assert [(e.ops, e.imms) for e in s[4].init] == [((Op.REF_FUNC,), (2,)), ((Op.REF_NULL,), (FUNCREF,))]
    assert s[5].init[0].imms == (EXTERNREF,)
    assert s[7].init[0].imms == (9,)
    assert s[0].offset < s[1].offset


def test_element_errors():
    malformed(module(element_section(u32(8) + b"\x00")), "malformed elements segment kind")
    malformed(module(element_section(u32(1) + b"\x01" + vec([]))), "malformed element kind")
    malformed(module(element_section(u32(5) + b"\x7f" + vec([]))), "malformed reference type")
    # passive segment whose expression has an illegal opcode
    malformed(module(element_section(elem_passive_exprs(FUNCREF, [b"\xf3\x00\x0b"]))), "illegal opcode")
    # 2 segments declared, 1 given
    malformed(module(section(9, u32(2) + elem_active_funcs(const_expr(i32_const(0)), [0]))), "unexpected end")


# ---------------------------------------------------------------- data, data count


def test_data_segments():
    m = decode_module(
        module(
            datacount_section(3),
            data_section(
                data_active(const_expr(i32_const(8)), b"abc"),
                data_passive(b""),
                data_active_memory(1, const_expr(global_get(0)), b"\x00\xff"),
            ),
        )
    )
    d0, d1, d2 = m.datas
    assert (d0.mode, d0.data, d0.memory_index, d0.offset_expr.imms) == (MODE_ACTIVE, b"abc", 0, (8,))
    assert (d1.mode, d1.data, d1.offset_expr) == (MODE_PASSIVE, b"", None)
    assert (d2.mode, d2.data, d2.memory_index, d2.offset_expr.ops) == (MODE_ACTIVE, b"\x00\xff", 1, (Op.GLOBAL_GET,))
    assert m.data_count == 3


def test_data_errors():
    malformed(module(data_section(u32(3) + b"\x00")), "malformed data segment kind")
    # 7 bytes declared, 6 given (last section)
    malformed(module(section(11, u32(1) + u32(0) + const_expr(i32_const(3)) + u32(7) + b"abcdef")), "unexpected end")
    # 5 bytes declared, 6 given
    malformed(
        module(section(11, u32(1) + u32(0) + const_expr(i32_const(0)) + u32(5) + b"abcdef")), "section size mismatch"
    )


def test_data_count_mismatch():
    malformed(
        module(datacount_section(2), data_section(data_passive(b"a"))),
        "data count and data section have inconsistent lengths",
    )
    malformed(module(datacount_section(1)), "data count and data section have inconsistent lengths")


def _data_user(instr: bytes, with_count: bool, with_data: bool = True) -> bytes:
    parts = [type_section(functype()), function_section(0), memory_section(memory_type(1))]
    if with_count:
        parts.append(datacount_section(1))
    parts.append(code_section(func_body((), instr + END)))
    if with_data:
        parts.append(data_section(data_passive(b"x")))
    return module(*parts)


@pytest.mark.parametrize(
    "instr",
    [
        op("data.drop", u32(0)),
        i32_const(0) + i32_const(0) + i32_const(0) + op("memory.init", u32(0), b"\x00"),
    ],
)
def test_data_count_required(instr):
    decode_module(_data_user(instr, with_count=True))
    malformed(_data_user(instr, with_count=False), "data count section required")


def test_data_index_without_any_data_section_is_left_to_the_validator():
    # Every data index is out of range here ("unknown data segment", a validation
    # error); wabt omits the count in this case, and the spec suite expects invalid.
    m = decode_module(_data_user(op("data.drop", u32(0)), with_count=False, with_data=False))
    assert m.data_count is None and m.datas == ()


def test_function_and_code_count_mismatch():
    malformed(
        module(type_section(functype()), function_section(0, 0), code_section(func_body())),
        "function and code section have inconsistent lengths",
    )
    malformed(
        module(type_section(functype()), function_section(0)), "function and code section have inconsistent lengths"
    )
    malformed(
        module(type_section(functype()), code_section(func_body())),
        "function and code section have inconsistent lengths",
    )


def test_custom_section_one_byte_past_module_end_is_unexpected_end():
    # custom section claims 3 bytes, 2 remain (the size check counts from before the size field)
    malformed(HEADER + b"\x00\x03\x01\x21", "unexpected end")
