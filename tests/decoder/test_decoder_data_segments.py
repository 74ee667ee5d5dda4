"""Active data segments `0x00 (i32.const N) end bytes` take an inline fast path in read_datas: it must
build the same segments as the general path and leave every malformed case to it (same error, same offset)."""

from __future__ import annotations

import pytest

from pywaz.decoder import decode_module
from pywaz.errors import DecodeError
from pywaz.ir import MODE_ACTIVE
from tests.wasmgen import (
    END,
    data_active,
    data_section,
    memory_section,
    memory_type,
    module,
    s32,
    u32,
)


def _datas(*segments: bytes):
    return decode_module(module(memory_section(memory_type(1)), data_section(*segments))).datas


@pytest.mark.parametrize("value", [0, 5, 63, 64, -1, -64, -65, 1024, 2**31 - 1, -(2**31)])
def test_fast_and_general_paths_build_the_same_segment(value):
    fast = _datas(data_active(b"\x41" + s32(value) + END, b"abc"))[0]
    # A two-byte length (0x83 0x00) is not the fast path's one-byte form: the general path reads it.
    general = _datas(u32(0) + b"\x41" + s32(value) + END + b"\x83\x00abc")[0]
    assert fast.mode == general.mode == MODE_ACTIVE
    assert fast.data == general.data == b"abc"
    assert fast.offset_expr == general.offset_expr
    assert fast.offset_expr.imms == (value & 0xFFFFFFFF,)
    assert fast.offset == general.offset and fast.memory_index == general.memory_index == 0


def test_many_segments_and_an_empty_one():
    segments = _datas(*(data_active(b"\x41" + s32(i * 100) + END, bytes([i]) * i) for i in range(20)))
    assert [s.data for s in segments] == [bytes([i]) * i for i in range(20)]
    assert [s.offset_expr.imms[0] for s in segments] == [i * 100 for i in range(20)]


@pytest.mark.parametrize("tail", [
    b"\x41\x05\x0b\x05ab",  # the bytes run out
    b"\x41\x05\x0b",  # no length
    b"\x41\x80\x80\x80\x80\x80\x00\x0b\x00",  # an over-long offset
    b"\x41\x05\x0b\x80",  # the length's LEB128 is cut off
])
def test_malformed_segments_fail_as_the_general_path_says(tail):
    data = module(memory_section(memory_type(1)), data_section(u32(0) + tail))
    with pytest.raises(DecodeError) as fast_error:
        decode_module(data)
    # The same segment after a flags byte spelled with a two-byte LEB128 (0x80 0x00) skips the fast path.
    general = module(memory_section(memory_type(1)), data_section(b"\x80\x00" + tail))
    with pytest.raises(DecodeError) as general_error:
        decode_module(general)
    assert fast_error.value.message == general_error.value.message
    assert fast_error.value.offset + 1 == general_error.value.offset  # one byte more before the fault
