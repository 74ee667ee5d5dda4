"""The WebAssembly instruction set: opcode numbers, names, immediates, simple signatures.

Binary format §5.4: the 2.0 instructions plus relaxed SIMD, typed function
references and GC (3.0). Single-byte
opcodes keep their byte value; the 0xFC and 0xFD prefixed instructions are
numbered ``0xFC00 + sub`` and ``0xFD00 + sub``. Relaxed SIMD's sub-opcodes run
past 0xFF (0x100-0x113), so they are 0xFE00-0xFE13: the numbers stay dense (the
validator indexes lists by them) and no 3.0 prefix uses 0xFE. The threads
proposal's atomics (prefix 0xFE) are therefore ``0xFF00 + sub`` (0xFF00-0xFF4E). The table below
spells them as the binary does (``0xfd100``); :func:`split_opcode` gives the
prefix and sub-opcode back and :func:`is_simd` says whether a number is a 0xFD
instruction.

Immediate kinds and the shape the decoder stores in ``FunctionBody.imms``:

==============  ==================================================================
kind            immediate value
==============  ==================================================================
``-``           None
blocktype       a type index (int) or an interned FuncType for the inline forms
label           relative label depth (int)
br_table        tuple of label depths, the default label last
func            function index
call_indirect   (type_index, table_index)
local/global    index (int)
table/elem/data index (int)
memarg          (align_log2, offset, memory_index): the offset is a u64 (memory64; the
                validator holds it below 2**32 for a 32-bit memory), the memory index is
                0 unless flag bit 6 says one follows (multiple memories)
memarg_lane     (align_log2, offset, memory_index, lane)
atomic          a memarg (as above) of an atomic instruction: alignment must equal natural
fence           None (atomic.fence's reserved zero byte)
memidx          memory index (int; 2.0 requires 0, encoded as a zero byte)
memory.init     (data_index, memory_index)
memory.copy     (dst_memory, src_memory)
table.init      (elem_index, table_index)
table.copy      (dst_table, src_table)
i32/i64         the value in unsigned canonical form (int)
f32/f64         the raw IEEE bit pattern (int), so NaN payloads survive
v128            the 128-bit value as an unsigned int (little-endian lanes)
shuffle         bytes of 16 lane indices
lane            lane index (int)
reftype         ref.null's nullable reference type: FUNCREF, EXTERNREF, ANYREF... or
                RefType(True, type_index) (its heap type is an s33 in 3.0)
select_t        tuple of value types
type            a type index (call_ref, return_call_ref, struct.new, array.get, ...)
field           (type_index, field_index): struct.get(_s/_u), struct.set
type_nat        (type_index, count): array.new_fixed
type_data       (type_index, data_index): array.new_data, array.init_data
type_elem       (type_index, elem_index): array.new_elem, array.init_elem
type_type       (destination type, source type): array.copy
ref_test        the reference type tested or cast to (ref.test, ref.cast and their
                ``_null`` forms, which are ref.test / ref.cast with a nullable type)
br_on_cast      (label, source reftype, target reftype): br_on_cast, br_on_cast_fail
==============  ==================================================================

GC instructions (the 0xFB prefix) are numbered ``0xFB00 + sub``; the typed
function reference instructions (call_ref 0x14, return_call_ref 0x15,
ref.as_non_null 0xD4, br_on_null 0xD5, br_on_non_null 0xD6) and ref.eq (0xD3)
keep their byte.

``SIGNATURES[op]`` is ``(params, results)`` for instructions whose typing is a
fixed signature, and None for those the validator types specially.
"""

from __future__ import annotations

import enum
import threading

from .ir import VALTYPE_BY_NAME

# code name immediate-kind signature ('*' = typed specially)
_TABLE = """
0x00 unreachable - *
0x01 nop - ->
0x02 block blocktype *
0x03 loop blocktype *
0x04 if blocktype *
0x05 else - *
0x06 try blocktype *
0x07 catch tag *
0x08 throw tag *
0x09 rethrow label *
0x0a throw_ref - *
0x0b end - *
0x0c br label *
0x0d br_if label *
0x0e br_table br_table *
0x0f return - *
0x10 call func *
0x11 call_indirect call_indirect *
0x12 return_call func *
0x13 return_call_indirect call_indirect *
0x14 call_ref type *
0x15 return_call_ref type *
0x1a drop - *
0x1b select - *
0x18 delegate label *
0x19 catch_all - *
0x1c select_t select_t *
0x1f try_table try_table *
0x20 local.get local *
0x21 local.set local *
0x22 local.tee local *
0x23 global.get global *
0x24 global.set global *
0x25 table.get table *
0x26 table.set table *
0x28 i32.load memarg i32 -> i32
0x29 i64.load memarg i32 -> i64
0x2a f32.load memarg i32 -> f32
0x2b f64.load memarg i32 -> f64
0x2c i32.load8_s memarg i32 -> i32
0x2d i32.load8_u memarg i32 -> i32
0x2e i32.load16_s memarg i32 -> i32
0x2f i32.load16_u memarg i32 -> i32
0x30 i64.load8_s memarg i32 -> i64
0x31 i64.load8_u memarg i32 -> i64
0x32 i64.load16_s memarg i32 -> i64
0x33 i64.load16_u memarg i32 -> i64
0x34 i64.load32_s memarg i32 -> i64
0x35 i64.load32_u memarg i32 -> i64
0x36 i32.store memarg i32 i32 ->
0x37 i64.store memarg i32 i64 ->
0x38 f32.store memarg i32 f32 ->
0x39 f64.store memarg i32 f64 ->
0x3a i32.store8 memarg i32 i32 ->
0x3b i32.store16 memarg i32 i32 ->
0x3c i64.store8 memarg i32 i64 ->
0x3d i64.store16 memarg i32 i64 ->
0x3e i64.store32 memarg i32 i64 ->
0x3f memory.size memidx -> i32
0x40 memory.grow memidx i32 -> i32
0x41 i32.const i32 -> i32
0x42 i64.const i64 -> i64
0x43 f32.const f32 -> f32
0x44 f64.const f64 -> f64
0x45 i32.eqz - i32 -> i32
0x46 i32.eq - i32 i32 -> i32
0x47 i32.ne - i32 i32 -> i32
0x48 i32.lt_s - i32 i32 -> i32
0x49 i32.lt_u - i32 i32 -> i32
0x4a i32.gt_s - i32 i32 -> i32
0x4b i32.gt_u - i32 i32 -> i32
0x4c i32.le_s - i32 i32 -> i32
0x4d i32.le_u - i32 i32 -> i32
0x4e i32.ge_s - i32 i32 -> i32
0x4f i32.ge_u - i32 i32 -> i32
0x50 i64.eqz - i64 -> i32
0x51 i64.eq - i64 i64 -> i32
0x52 i64.ne - i64 i64 -> i32
0x53 i64.lt_s - i64 i64 -> i32
0x54 i64.lt_u - i64 i64 -> i32
0x55 i64.gt_s - i64 i64 -> i32
0x56 i64.gt_u - i64 i64 -> i32
0x57 i64.le_s - i64 i64 -> i32
0x58 i64.le_u - i64 i64 -> i32
0x59 i64.ge_s - i64 i64 -> i32
0x5a i64.ge_u - i64 i64 -> i32
0x5b f32.eq - f32 f32 -> i32
0x5c f32.ne - f32 f32 -> i32
0x5d f32.lt - f32 f32 -> i32
0x5e f32.gt - f32 f32 -> i32
0x5f f32.le - f32 f32 -> i32
0x60 f32.ge - f32 f32 -> i32
0x61 f64.eq - f64 f64 -> i32
0x62 f64.ne - f64 f64 -> i32
0x63 f64.lt - f64 f64 -> i32
0x64 f64.gt - f64 f64 -> i32
0x65 f64.le - f64 f64 -> i32
0x66 f64.ge - f64 f64 -> i32
0x67 i32.clz - i32 -> i32
0x68 i32.ctz - i32 -> i32
0x69 i32.popcnt - i32 -> i32
0x6a i32.add - i32 i32 -> i32
0x6b i32.sub - i32 i32 -> i32
0x6c i32.mul - i32 i32 -> i32
0x6d i32.div_s - i32 i32 -> i32
0x6e i32.div_u - i32 i32 -> i32
0x6f i32.rem_s - i32 i32 -> i32
0x70 i32.rem_u - i32 i32 -> i32
0x71 i32.and - i32 i32 -> i32
0x72 i32.or - i32 i32 -> i32
0x73 i32.xor - i32 i32 -> i32
0x74 i32.shl - i32 i32 -> i32
0x75 i32.shr_s - i32 i32 -> i32
0x76 i32.shr_u - i32 i32 -> i32
0x77 i32.rotl - i32 i32 -> i32
0x78 i32.rotr - i32 i32 -> i32
0x79 i64.clz - i64 -> i64
0x7a i64.ctz - i64 -> i64
0x7b i64.popcnt - i64 -> i64
0x7c i64.add - i64 i64 -> i64
0x7d i64.sub - i64 i64 -> i64
0x7e i64.mul - i64 i64 -> i64
0x7f i64.div_s - i64 i64 -> i64
0x80 i64.div_u - i64 i64 -> i64
0x81 i64.rem_s - i64 i64 -> i64
0x82 i64.rem_u - i64 i64 -> i64
0x83 i64.and - i64 i64 -> i64
0x84 i64.or - i64 i64 -> i64
0x85 i64.xor - i64 i64 -> i64
0x86 i64.shl - i64 i64 -> i64
0x87 i64.shr_s - i64 i64 -> i64
0x88 i64.shr_u - i64 i64 -> i64
0x89 i64.rotl - i64 i64 -> i64
0x8a i64.rotr - i64 i64 -> i64
0x8b f32.abs - f32 -> f32
0x8c f32.neg - f32 -> f32
0x8d f32.ceil - f32 -> f32
0x8e f32.floor - f32 -> f32
0x8f f32.trunc - f32 -> f32
0x90 f32.nearest - f32 -> f32
0x91 f32.sqrt - f32 -> f32
0x92 f32.add - f32 f32 -> f32
0x93 f32.sub - f32 f32 -> f32
0x94 f32.mul - f32 f32 -> f32
0x95 f32.div - f32 f32 -> f32
0x96 f32.min - f32 f32 -> f32
0x97 f32.max - f32 f32 -> f32
0x98 f32.copysign - f32 f32 -> f32
0x99 f64.abs - f64 -> f64
0x9a f64.neg - f64 -> f64
0x9b f64.ceil - f64 -> f64
0x9c f64.floor - f64 -> f64
0x9d f64.trunc - f64 -> f64
0x9e f64.nearest - f64 -> f64
0x9f f64.sqrt - f64 -> f64
0xa0 f64.add - f64 f64 -> f64
0xa1 f64.sub - f64 f64 -> f64
0xa2 f64.mul - f64 f64 -> f64
0xa3 f64.div - f64 f64 -> f64
0xa4 f64.min - f64 f64 -> f64
0xa5 f64.max - f64 f64 -> f64
0xa6 f64.copysign - f64 f64 -> f64
0xa7 i32.wrap_i64 - i64 -> i32
0xa8 i32.trunc_f32_s - f32 -> i32
0xa9 i32.trunc_f32_u - f32 -> i32
0xaa i32.trunc_f64_s - f64 -> i32
0xab i32.trunc_f64_u - f64 -> i32
0xac i64.extend_i32_s - i32 -> i64
0xad i64.extend_i32_u - i32 -> i64
0xae i64.trunc_f32_s - f32 -> i64
0xaf i64.trunc_f32_u - f32 -> i64
0xb0 i64.trunc_f64_s - f64 -> i64
0xb1 i64.trunc_f64_u - f64 -> i64
0xb2 f32.convert_i32_s - i32 -> f32
0xb3 f32.convert_i32_u - i32 -> f32
0xb4 f32.convert_i64_s - i64 -> f32
0xb5 f32.convert_i64_u - i64 -> f32
0xb6 f32.demote_f64 - f64 -> f32
0xb7 f64.convert_i32_s - i32 -> f64
0xb8 f64.convert_i32_u - i32 -> f64
0xb9 f64.convert_i64_s - i64 -> f64
0xba f64.convert_i64_u - i64 -> f64
0xbb f64.promote_f32 - f32 -> f64
0xbc i32.reinterpret_f32 - f32 -> i32
0xbd i64.reinterpret_f64 - f64 -> i64
0xbe f32.reinterpret_i32 - i32 -> f32
0xbf f64.reinterpret_i64 - i64 -> f64
0xc0 i32.extend8_s - i32 -> i32
0xc1 i32.extend16_s - i32 -> i32
0xc2 i64.extend8_s - i64 -> i64
0xc3 i64.extend16_s - i64 -> i64
0xc4 i64.extend32_s - i64 -> i64
0xd0 ref.null reftype *
0xd1 ref.is_null - *
0xd2 ref.func func *
0xd3 ref.eq - eqref eqref -> i32
0xd4 ref.as_non_null - *
0xd5 br_on_null label *
0xd6 br_on_non_null label *
0xfb00 struct.new type *
0xfb01 struct.new_default type *
0xfb02 struct.get field *
0xfb03 struct.get_s field *
0xfb04 struct.get_u field *
0xfb05 struct.set field *
0xfb06 array.new type *
0xfb07 array.new_default type *
0xfb08 array.new_fixed type_nat *
0xfb09 array.new_data type_data *
0xfb0a array.new_elem type_elem *
0xfb0b array.get type *
0xfb0c array.get_s type *
0xfb0d array.get_u type *
0xfb0e array.set type *
0xfb0f array.len - arrayref -> i32
0xfb10 array.fill type *
0xfb11 array.copy type_type *
0xfb12 array.init_data type_data *
0xfb13 array.init_elem type_elem *
0xfb14 ref.test ref_test *
0xfb15 ref.test_null ref_test *
0xfb16 ref.cast ref_test *
0xfb17 ref.cast_null ref_test *
0xfb18 br_on_cast br_on_cast *
0xfb19 br_on_cast_fail br_on_cast *
0xfb1a any.convert_extern - *
0xfb1b extern.convert_any - *
0xfb1c ref.i31 - *
0xfb1d i31.get_s - i31ref -> i32
0xfb1e i31.get_u - i31ref -> i32
0xfc00 i32.trunc_sat_f32_s - f32 -> i32
0xfc01 i32.trunc_sat_f32_u - f32 -> i32
0xfc02 i32.trunc_sat_f64_s - f64 -> i32
0xfc03 i32.trunc_sat_f64_u - f64 -> i32
0xfc04 i64.trunc_sat_f32_s - f32 -> i64
0xfc05 i64.trunc_sat_f32_u - f32 -> i64
0xfc06 i64.trunc_sat_f64_s - f64 -> i64
0xfc07 i64.trunc_sat_f64_u - f64 -> i64
0xfc08 memory.init memory.init *
0xfc09 data.drop data *
0xfc0a memory.copy memory.copy *
0xfc0b memory.fill memidx *
0xfc0c table.init table.init *
0xfc0d elem.drop elem *
0xfc0e table.copy table.copy *
0xfc0f table.grow table *
0xfc10 table.size table *
0xfc11 table.fill table *
0xfd00 v128.load memarg i32 -> v128
0xfd01 v128.load8x8_s memarg i32 -> v128
0xfd02 v128.load8x8_u memarg i32 -> v128
0xfd03 v128.load16x4_s memarg i32 -> v128
0xfd04 v128.load16x4_u memarg i32 -> v128
0xfd05 v128.load32x2_s memarg i32 -> v128
0xfd06 v128.load32x2_u memarg i32 -> v128
0xfd07 v128.load8_splat memarg i32 -> v128
0xfd08 v128.load16_splat memarg i32 -> v128
0xfd09 v128.load32_splat memarg i32 -> v128
0xfd0a v128.load64_splat memarg i32 -> v128
0xfd0b v128.store memarg i32 v128 ->
0xfd0c v128.const v128 -> v128
0xfd0d i8x16.shuffle shuffle v128 v128 -> v128
0xfd0e i8x16.swizzle - v128 v128 -> v128
0xfd0f i8x16.splat - i32 -> v128
0xfd10 i16x8.splat - i32 -> v128
0xfd11 i32x4.splat - i32 -> v128
0xfd12 i64x2.splat - i64 -> v128
0xfd13 f32x4.splat - f32 -> v128
0xfd14 f64x2.splat - f64 -> v128
0xfd15 i8x16.extract_lane_s lane v128 -> i32
0xfd16 i8x16.extract_lane_u lane v128 -> i32
0xfd17 i8x16.replace_lane lane v128 i32 -> v128
0xfd18 i16x8.extract_lane_s lane v128 -> i32
0xfd19 i16x8.extract_lane_u lane v128 -> i32
0xfd1a i16x8.replace_lane lane v128 i32 -> v128
0xfd1b i32x4.extract_lane lane v128 -> i32
0xfd1c i32x4.replace_lane lane v128 i32 -> v128
0xfd1d i64x2.extract_lane lane v128 -> i64
0xfd1e i64x2.replace_lane lane v128 i64 -> v128
0xfd1f f32x4.extract_lane lane v128 -> f32
0xfd20 f32x4.replace_lane lane v128 f32 -> v128
0xfd21 f64x2.extract_lane lane v128 -> f64
0xfd22 f64x2.replace_lane lane v128 f64 -> v128
0xfd23 i8x16.eq - v128 v128 -> v128
0xfd24 i8x16.ne - v128 v128 -> v128
0xfd25 i8x16.lt_s - v128 v128 -> v128
0xfd26 i8x16.lt_u - v128 v128 -> v128
0xfd27 i8x16.gt_s - v128 v128 -> v128
0xfd28 i8x16.gt_u - v128 v128 -> v128
0xfd29 i8x16.le_s - v128 v128 -> v128
0xfd2a i8x16.le_u - v128 v128 -> v128
0xfd2b i8x16.ge_s - v128 v128 -> v128
0xfd2c i8x16.ge_u - v128 v128 -> v128
0xfd2d i16x8.eq - v128 v128 -> v128
0xfd2e i16x8.ne - v128 v128 -> v128
0xfd2f i16x8.lt_s - v128 v128 -> v128
0xfd30 i16x8.lt_u - v128 v128 -> v128
0xfd31 i16x8.gt_s - v128 v128 -> v128
0xfd32 i16x8.gt_u - v128 v128 -> v128
0xfd33 i16x8.le_s - v128 v128 -> v128
0xfd34 i16x8.le_u - v128 v128 -> v128
0xfd35 i16x8.ge_s - v128 v128 -> v128
0xfd36 i16x8.ge_u - v128 v128 -> v128
0xfd37 i32x4.eq - v128 v128 -> v128
0xfd38 i32x4.ne - v128 v128 -> v128
0xfd39 i32x4.lt_s - v128 v128 -> v128
0xfd3a i32x4.lt_u - v128 v128 -> v128
0xfd3b i32x4.gt_s - v128 v128 -> v128
0xfd3c i32x4.gt_u - v128 v128 -> v128
0xfd3d i32x4.le_s - v128 v128 -> v128
0xfd3e i32x4.le_u - v128 v128 -> v128
0xfd3f i32x4.ge_s - v128 v128 -> v128
0xfd40 i32x4.ge_u - v128 v128 -> v128
0xfd41 f32x4.eq - v128 v128 -> v128
0xfd42 f32x4.ne - v128 v128 -> v128
0xfd43 f32x4.lt - v128 v128 -> v128
0xfd44 f32x4.gt - v128 v128 -> v128
0xfd45 f32x4.le - v128 v128 -> v128
0xfd46 f32x4.ge - v128 v128 -> v128
0xfd47 f64x2.eq - v128 v128 -> v128
0xfd48 f64x2.ne - v128 v128 -> v128
0xfd49 f64x2.lt - v128 v128 -> v128
0xfd4a f64x2.gt - v128 v128 -> v128
0xfd4b f64x2.le - v128 v128 -> v128
0xfd4c f64x2.ge - v128 v128 -> v128
0xfd4d v128.not - v128 -> v128
0xfd4e v128.and - v128 v128 -> v128
0xfd4f v128.andnot - v128 v128 -> v128
0xfd50 v128.or - v128 v128 -> v128
0xfd51 v128.xor - v128 v128 -> v128
0xfd52 v128.bitselect - v128 v128 v128 -> v128
0xfd53 v128.any_true - v128 -> i32
0xfd54 v128.load8_lane memarg_lane i32 v128 -> v128
0xfd55 v128.load16_lane memarg_lane i32 v128 -> v128
0xfd56 v128.load32_lane memarg_lane i32 v128 -> v128
0xfd57 v128.load64_lane memarg_lane i32 v128 -> v128
0xfd58 v128.store8_lane memarg_lane i32 v128 ->
0xfd59 v128.store16_lane memarg_lane i32 v128 ->
0xfd5a v128.store32_lane memarg_lane i32 v128 ->
0xfd5b v128.store64_lane memarg_lane i32 v128 ->
0xfd5c v128.load32_zero memarg i32 -> v128
0xfd5d v128.load64_zero memarg i32 -> v128
0xfd5e f32x4.demote_f64x2_zero - v128 -> v128
0xfd5f f64x2.promote_low_f32x4 - v128 -> v128
0xfd60 i8x16.abs - v128 -> v128
0xfd61 i8x16.neg - v128 -> v128
0xfd62 i8x16.popcnt - v128 -> v128
0xfd63 i8x16.all_true - v128 -> i32
0xfd64 i8x16.bitmask - v128 -> i32
0xfd65 i8x16.narrow_i16x8_s - v128 v128 -> v128
0xfd66 i8x16.narrow_i16x8_u - v128 v128 -> v128
0xfd67 f32x4.ceil - v128 -> v128
0xfd68 f32x4.floor - v128 -> v128
0xfd69 f32x4.trunc - v128 -> v128
0xfd6a f32x4.nearest - v128 -> v128
0xfd6b i8x16.shl - v128 i32 -> v128
0xfd6c i8x16.shr_s - v128 i32 -> v128
0xfd6d i8x16.shr_u - v128 i32 -> v128
0xfd6e i8x16.add - v128 v128 -> v128
0xfd6f i8x16.add_sat_s - v128 v128 -> v128
0xfd70 i8x16.add_sat_u - v128 v128 -> v128
0xfd71 i8x16.sub - v128 v128 -> v128
0xfd72 i8x16.sub_sat_s - v128 v128 -> v128
0xfd73 i8x16.sub_sat_u - v128 v128 -> v128
0xfd74 f64x2.ceil - v128 -> v128
0xfd75 f64x2.floor - v128 -> v128
0xfd76 i8x16.min_s - v128 v128 -> v128
0xfd77 i8x16.min_u - v128 v128 -> v128
0xfd78 i8x16.max_s - v128 v128 -> v128
0xfd79 i8x16.max_u - v128 v128 -> v128
0xfd7a f64x2.trunc - v128 -> v128
0xfd7b i8x16.avgr_u - v128 v128 -> v128
0xfd7c i16x8.extadd_pairwise_i8x16_s - v128 -> v128
0xfd7d i16x8.extadd_pairwise_i8x16_u - v128 -> v128
0xfd7e i32x4.extadd_pairwise_i16x8_s - v128 -> v128
0xfd7f i32x4.extadd_pairwise_i16x8_u - v128 -> v128
0xfd80 i16x8.abs - v128 -> v128
0xfd81 i16x8.neg - v128 -> v128
0xfd82 i16x8.q15mulr_sat_s - v128 v128 -> v128
0xfd83 i16x8.all_true - v128 -> i32
0xfd84 i16x8.bitmask - v128 -> i32
0xfd85 i16x8.narrow_i32x4_s - v128 v128 -> v128
0xfd86 i16x8.narrow_i32x4_u - v128 v128 -> v128
0xfd87 i16x8.extend_low_i8x16_s - v128 -> v128
0xfd88 i16x8.extend_high_i8x16_s - v128 -> v128
0xfd89 i16x8.extend_low_i8x16_u - v128 -> v128
0xfd8a i16x8.extend_high_i8x16_u - v128 -> v128
0xfd8b i16x8.shl - v128 i32 -> v128
0xfd8c i16x8.shr_s - v128 i32 -> v128
0xfd8d i16x8.shr_u - v128 i32 -> v128
0xfd8e i16x8.add - v128 v128 -> v128
0xfd8f i16x8.add_sat_s - v128 v128 -> v128
0xfd90 i16x8.add_sat_u - v128 v128 -> v128
0xfd91 i16x8.sub - v128 v128 -> v128
0xfd92 i16x8.sub_sat_s - v128 v128 -> v128
0xfd93 i16x8.sub_sat_u - v128 v128 -> v128
0xfd94 f64x2.nearest - v128 -> v128
0xfd95 i16x8.mul - v128 v128 -> v128
0xfd96 i16x8.min_s - v128 v128 -> v128
0xfd97 i16x8.min_u - v128 v128 -> v128
0xfd98 i16x8.max_s - v128 v128 -> v128
0xfd99 i16x8.max_u - v128 v128 -> v128
0xfd9b i16x8.avgr_u - v128 v128 -> v128
0xfd9c i16x8.extmul_low_i8x16_s - v128 v128 -> v128
0xfd9d i16x8.extmul_high_i8x16_s - v128 v128 -> v128
0xfd9e i16x8.extmul_low_i8x16_u - v128 v128 -> v128
0xfd9f i16x8.extmul_high_i8x16_u - v128 v128 -> v128
0xfda0 i32x4.abs - v128 -> v128
0xfda1 i32x4.neg - v128 -> v128
0xfda3 i32x4.all_true - v128 -> i32
0xfda4 i32x4.bitmask - v128 -> i32
0xfda7 i32x4.extend_low_i16x8_s - v128 -> v128
0xfda8 i32x4.extend_high_i16x8_s - v128 -> v128
0xfda9 i32x4.extend_low_i16x8_u - v128 -> v128
0xfdaa i32x4.extend_high_i16x8_u - v128 -> v128
0xfdab i32x4.shl - v128 i32 -> v128
0xfdac i32x4.shr_s - v128 i32 -> v128
0xfdad i32x4.shr_u - v128 i32 -> v128
0xfdae i32x4.add - v128 v128 -> v128
0xfdb1 i32x4.sub - v128 v128 -> v128
0xfdb5 i32x4.mul - v128 v128 -> v128
0xfdb6 i32x4.min_s - v128 v128 -> v128
0xfdb7 i32x4.min_u - v128 v128 -> v128
0xfdb8 i32x4.max_s - v128 v128 -> v128
0xfdb9 i32x4.max_u - v128 v128 -> v128
0xfdba i32x4.dot_i16x8_s - v128 v128 -> v128
0xfdbc i32x4.extmul_low_i16x8_s - v128 v128 -> v128
0xfdbd i32x4.extmul_high_i16x8_s - v128 v128 -> v128
0xfdbe i32x4.extmul_low_i16x8_u - v128 v128 -> v128
0xfdbf i32x4.extmul_high_i16x8_u - v128 v128 -> v128
0xfdc0 i64x2.abs - v128 -> v128
0xfdc1 i64x2.neg - v128 -> v128
0xfdc3 i64x2.all_true - v128 -> i32
0xfdc4 i64x2.bitmask - v128 -> i32
0xfdc7 i64x2.extend_low_i32x4_s - v128 -> v128
0xfdc8 i64x2.extend_high_i32x4_s - v128 -> v128
0xfdc9 i64x2.extend_low_i32x4_u - v128 -> v128
0xfdca i64x2.extend_high_i32x4_u - v128 -> v128
0xfdcb i64x2.shl - v128 i32 -> v128
0xfdcc i64x2.shr_s - v128 i32 -> v128
0xfdcd i64x2.shr_u - v128 i32 -> v128
0xfdce i64x2.add - v128 v128 -> v128
0xfdd1 i64x2.sub - v128 v128 -> v128
0xfdd5 i64x2.mul - v128 v128 -> v128
0xfdd6 i64x2.eq - v128 v128 -> v128
0xfdd7 i64x2.ne - v128 v128 -> v128
0xfdd8 i64x2.lt_s - v128 v128 -> v128
0xfdd9 i64x2.gt_s - v128 v128 -> v128
0xfdda i64x2.le_s - v128 v128 -> v128
0xfddb i64x2.ge_s - v128 v128 -> v128
0xfddc i64x2.extmul_low_i32x4_s - v128 v128 -> v128
0xfddd i64x2.extmul_high_i32x4_s - v128 v128 -> v128
0xfdde i64x2.extmul_low_i32x4_u - v128 v128 -> v128
0xfddf i64x2.extmul_high_i32x4_u - v128 v128 -> v128
0xfde0 f32x4.abs - v128 -> v128
0xfde1 f32x4.neg - v128 -> v128
0xfde3 f32x4.sqrt - v128 -> v128
0xfde4 f32x4.add - v128 v128 -> v128
0xfde5 f32x4.sub - v128 v128 -> v128
0xfde6 f32x4.mul - v128 v128 -> v128
0xfde7 f32x4.div - v128 v128 -> v128
0xfde8 f32x4.min - v128 v128 -> v128
0xfde9 f32x4.max - v128 v128 -> v128
0xfdea f32x4.pmin - v128 v128 -> v128
0xfdeb f32x4.pmax - v128 v128 -> v128
0xfdec f64x2.abs - v128 -> v128
0xfded f64x2.neg - v128 -> v128
0xfdef f64x2.sqrt - v128 -> v128
0xfdf0 f64x2.add - v128 v128 -> v128
0xfdf1 f64x2.sub - v128 v128 -> v128
0xfdf2 f64x2.mul - v128 v128 -> v128
0xfdf3 f64x2.div - v128 v128 -> v128
0xfdf4 f64x2.min - v128 v128 -> v128
0xfdf5 f64x2.max - v128 v128 -> v128
0xfdf6 f64x2.pmin - v128 v128 -> v128
0xfdf7 f64x2.pmax - v128 v128 -> v128
0xfdf8 i32x4.trunc_sat_f32x4_s - v128 -> v128
0xfdf9 i32x4.trunc_sat_f32x4_u - v128 -> v128
0xfdfa f32x4.convert_i32x4_s - v128 -> v128
0xfdfb f32x4.convert_i32x4_u - v128 -> v128
0xfdfc i32x4.trunc_sat_f64x2_s_zero - v128 -> v128
0xfdfd i32x4.trunc_sat_f64x2_u_zero - v128 -> v128
0xfdfe f64x2.convert_low_i32x4_s - v128 -> v128
0xfdff f64x2.convert_low_i32x4_u - v128 -> v128
0xfd100 i8x16.relaxed_swizzle - v128 v128 -> v128
0xfd101 i32x4.relaxed_trunc_f32x4_s - v128 -> v128
0xfd102 i32x4.relaxed_trunc_f32x4_u - v128 -> v128
0xfd103 i32x4.relaxed_trunc_f64x2_s_zero - v128 -> v128
0xfd104 i32x4.relaxed_trunc_f64x2_u_zero - v128 -> v128
0xfd105 f32x4.relaxed_madd - v128 v128 v128 -> v128
0xfd106 f32x4.relaxed_nmadd - v128 v128 v128 -> v128
0xfd107 f64x2.relaxed_madd - v128 v128 v128 -> v128
0xfd108 f64x2.relaxed_nmadd - v128 v128 v128 -> v128
0xfd109 i8x16.relaxed_laneselect - v128 v128 v128 -> v128
0xfd10a i16x8.relaxed_laneselect - v128 v128 v128 -> v128
0xfd10b i32x4.relaxed_laneselect - v128 v128 v128 -> v128
0xfd10c i64x2.relaxed_laneselect - v128 v128 v128 -> v128
0xfd10d f32x4.relaxed_min - v128 v128 -> v128
0xfd10e f32x4.relaxed_max - v128 v128 -> v128
0xfd10f f64x2.relaxed_min - v128 v128 -> v128
0xfd110 f64x2.relaxed_max - v128 v128 -> v128
0xfd111 i16x8.relaxed_q15mulr_s - v128 v128 -> v128
0xfd112 i16x8.relaxed_dot_i8x16_i7x16_s - v128 v128 -> v128
0xfd113 i32x4.relaxed_dot_i8x16_i7x16_add_s - v128 v128 v128 -> v128
"""


# The threads proposal's 0xFE-prefixed atomic instructions, by sub-opcode (numbered 0xFF00 + sub: the
# 0xFE00 block belongs to relaxed SIMD). Immediate "atomic" is a memarg whose alignment must equal the
# natural one; "fence" is atomic.fence's reserved zero byte (stored as None).
_ATOMIC_TABLE = """
0x00 memory.atomic.notify atomic i32 i32 -> i32
0x01 memory.atomic.wait32 atomic i32 i32 i64 -> i32
0x02 memory.atomic.wait64 atomic i32 i64 i64 -> i32
0x03 atomic.fence fence ->
0x10 i32.atomic.load atomic i32 -> i32
0x11 i64.atomic.load atomic i32 -> i64
0x12 i32.atomic.load8_u atomic i32 -> i32
0x13 i32.atomic.load16_u atomic i32 -> i32
0x14 i64.atomic.load8_u atomic i32 -> i64
0x15 i64.atomic.load16_u atomic i32 -> i64
0x16 i64.atomic.load32_u atomic i32 -> i64
0x17 i32.atomic.store atomic i32 i32 ->
0x18 i64.atomic.store atomic i32 i64 ->
0x19 i32.atomic.store8 atomic i32 i32 ->
0x1a i32.atomic.store16 atomic i32 i32 ->
0x1b i64.atomic.store8 atomic i32 i64 ->
0x1c i64.atomic.store16 atomic i32 i64 ->
0x1d i64.atomic.store32 atomic i32 i64 ->
0x1e i32.atomic.rmw.add atomic i32 i32 -> i32
0x1f i64.atomic.rmw.add atomic i32 i64 -> i64
0x20 i32.atomic.rmw8.add_u atomic i32 i32 -> i32
0x21 i32.atomic.rmw16.add_u atomic i32 i32 -> i32
0x22 i64.atomic.rmw8.add_u atomic i32 i64 -> i64
0x23 i64.atomic.rmw16.add_u atomic i32 i64 -> i64
0x24 i64.atomic.rmw32.add_u atomic i32 i64 -> i64
0x25 i32.atomic.rmw.sub atomic i32 i32 -> i32
0x26 i64.atomic.rmw.sub atomic i32 i64 -> i64
0x27 i32.atomic.rmw8.sub_u atomic i32 i32 -> i32
0x28 i32.atomic.rmw16.sub_u atomic i32 i32 -> i32
0x29 i64.atomic.rmw8.sub_u atomic i32 i64 -> i64
0x2a i64.atomic.rmw16.sub_u atomic i32 i64 -> i64
0x2b i64.atomic.rmw32.sub_u atomic i32 i64 -> i64
0x2c i32.atomic.rmw.and atomic i32 i32 -> i32
0x2d i64.atomic.rmw.and atomic i32 i64 -> i64
0x2e i32.atomic.rmw8.and_u atomic i32 i32 -> i32
0x2f i32.atomic.rmw16.and_u atomic i32 i32 -> i32
0x30 i64.atomic.rmw8.and_u atomic i32 i64 -> i64
0x31 i64.atomic.rmw16.and_u atomic i32 i64 -> i64
0x32 i64.atomic.rmw32.and_u atomic i32 i64 -> i64
0x33 i32.atomic.rmw.or atomic i32 i32 -> i32
0x34 i64.atomic.rmw.or atomic i32 i64 -> i64
0x35 i32.atomic.rmw8.or_u atomic i32 i32 -> i32
0x36 i32.atomic.rmw16.or_u atomic i32 i32 -> i32
0x37 i64.atomic.rmw8.or_u atomic i32 i64 -> i64
0x38 i64.atomic.rmw16.or_u atomic i32 i64 -> i64
0x39 i64.atomic.rmw32.or_u atomic i32 i64 -> i64
0x3a i32.atomic.rmw.xor atomic i32 i32 -> i32
0x3b i64.atomic.rmw.xor atomic i32 i64 -> i64
0x3c i32.atomic.rmw8.xor_u atomic i32 i32 -> i32
0x3d i32.atomic.rmw16.xor_u atomic i32 i32 -> i32
0x3e i64.atomic.rmw8.xor_u atomic i32 i64 -> i64
0x3f i64.atomic.rmw16.xor_u atomic i32 i64 -> i64
0x40 i64.atomic.rmw32.xor_u atomic i32 i64 -> i64
0x41 i32.atomic.rmw.xchg atomic i32 i32 -> i32
0x42 i64.atomic.rmw.xchg atomic i32 i64 -> i64
0x43 i32.atomic.rmw8.xchg_u atomic i32 i32 -> i32
0x44 i32.atomic.rmw16.xchg_u atomic i32 i32 -> i32
0x45 i64.atomic.rmw8.xchg_u atomic i32 i64 -> i64
0x46 i64.atomic.rmw16.xchg_u atomic i32 i64 -> i64
0x47 i64.atomic.rmw32.xchg_u atomic i32 i64 -> i64
0x48 i32.atomic.rmw.cmpxchg atomic i32 i32 i32 -> i32
0x49 i64.atomic.rmw.cmpxchg atomic i32 i64 i64 -> i64
0x4a i32.atomic.rmw8.cmpxchg_u atomic i32 i32 i32 -> i32
0x4b i32.atomic.rmw16.cmpxchg_u atomic i32 i32 i32 -> i32
0x4c i64.atomic.rmw8.cmpxchg_u atomic i32 i64 i64 -> i64
0x4d i64.atomic.rmw16.cmpxchg_u atomic i32 i64 i64 -> i64
0x4e i64.atomic.rmw32.cmpxchg_u atomic i32 i64 i64 -> i64
"""


def _parse_table():
    names, immediates, signatures = {}, {}, {}
    lines = _TABLE.strip().splitlines()
    # An atomic's sub-opcode "0x10" is number 0xFF10.
    lines += ["0xff" + line[2:] for line in _ATOMIC_TABLE.strip().splitlines()]
    for line in lines:
        code_text, name, immediate, signature = line.split(" ", 3)
        # "0xfd100" is prefix 0xfd, sub-opcode 0x100: number 0xFD00 + 0x100.
        if len(code_text) > 6:
            code = (int(code_text[2:4], 16) << 8) + int(code_text[4:], 16)
        else:
            code = int(code_text, 16)
        names[code] = name
        immediates[code] = immediate
        if signature == "*":
            signatures[code] = None
        else:
            params_text, results_text = signature.split("->")
            signatures[code] = (
                tuple(VALTYPE_BY_NAME[t] for t in params_text.split()),
                tuple(VALTYPE_BY_NAME[t] for t in results_text.split()),
            )
    return names, immediates, signatures


OP_NAMES, IMMEDIATES, SIGNATURES = _parse_table()
"""Text-format name, immediate kind and simple signature of every opcode."""

OPS_BY_NAME = {name: code for code, name in OP_NAMES.items()}


_OP_LOCK = threading.Lock()


def _build_op() -> type[enum.IntEnum]:
    op = enum.IntEnum("Op", {name.upper().replace(".", "_"): code for code, name in OP_NAMES.items()},
                      module=__name__)
    op.__doc__ = "Every opcode, named after the text format: ``Op.I32_ADD``, ``Op.V128_LOAD8X8_S``."
    return op


def __getattr__(name: str):
    # ``Op`` is built on first use (PEP 562): a 437-member IntEnum costs ~3.5 ms,
    # and the validator, compiler and a warm ``pywaz run`` only need the dicts.
    if name == "Op":
        with _OP_LOCK:  # two threads must not build two different Op classes
            op = globals().get("Op")
            if op is None:
                op = globals()["Op"] = _build_op()
        return op
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"Op"})


PREFIX_MISC = 0xFC
PREFIX_SIMD = 0xFD

SIMD_FIRST = PREFIX_SIMD << 8
"""The lowest 0xFD instruction number (``v128.load``)."""
SIMD_END = max(code for code in OP_NAMES if code < 0xFF00) + 1
"""One past the highest 0xFD instruction number (relaxed SIMD's last, 0xFE13)."""

PREFIX_ATOMIC = 0xFE
ATOMIC_FIRST = 0xFF00
"""The lowest 0xFE (threads) instruction number: ``memory.atomic.notify``; the atomics are 0xFF00-0xFF4E."""


def is_atomic(code: int) -> bool:
    """Whether opcode number ``code`` is a 0xFE-prefixed (threads proposal) atomic instruction."""
    return code >= ATOMIC_FIRST


def is_simd(code: int) -> bool:
    """Whether opcode number ``code`` is a 0xFD-prefixed (vector) instruction."""
    return SIMD_FIRST <= code < SIMD_END


def split_opcode(code: int) -> tuple[int | None, int]:
    """``(prefix, sub-opcode)`` of opcode number ``code``; the prefix is None for single-byte opcodes.

    The inverse of the numbering above: ``0xFE05`` is ``(0xFD, 0x105)``.
    """
    if code <= 0xFF:
        return None, code
    if code >= ATOMIC_FIRST:
        return PREFIX_ATOMIC, code - ATOMIC_FIRST
    if code >= SIMD_FIRST:
        return PREFIX_SIMD, code - SIMD_FIRST
    return code >> 8, code & 0xFF
