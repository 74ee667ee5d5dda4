"""GC modules through the disk cache (issue 14): types, reference types and GC constant data round-trip.

A disk hit rebuilds the canonical DefTypes from the stored type description
(no decode, no validation) and binds the struct/array classes afresh: they
are never pickled, so a cached module's values are the same runtime types as
a freshly compiled one's.
"""

import msgpack
import pytest

import pywaz
import pywaz.compiler.artifact as artifact_module
import pywaz.decoder
import pywaz.validator
from pywaz.cache.moduleinfo import decode_module_info, encode_module_info
from pywaz.decoder import decode_module
from pywaz.deftypes import def_types_of
from pywaz.errors import PywazError
from pywaz.text import wat2wasm
from pywaz.validator import validate

WAT = r"""
(module
  (rec (type $list (sub (struct (field $head i32) (field $tail (ref null $list)))))
       (type $pair (sub final $list (struct (field i32) (field (ref null $list)) (field $extra (mut i16))))))
  (type $bytes (array (mut i8)))
  (type $fn (func (param (ref null $list) i32) (result i32)))
  (table $t 2 (ref null $fn))
  (global $g (mut (ref null $list)) (ref.null $list))
  (global $n (ref null $bytes) (ref.null $bytes))
  (data $d "\05\06")
  (elem declare func $sum)
  (func $sum (type $fn)
    (if (result i32) (ref.is_null (local.get 0))
      (then (local.get 1))
      (else (return_call_ref $fn (struct.get $list $tail (local.get 0))
                                 (i32.add (local.get 1) (struct.get $list $head (local.get 0))) (ref.func $sum)))))
  (func (export "run") (param i32) (result i32)
    (local $l (ref null $list)) (local $a (ref $bytes))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get 0)))
        (local.set $l (struct.new $list (local.get 0) (local.get $l)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $more)))
    (local.set $a (array.new_data $bytes $d (i32.const 0) (i32.const 2)))
    (i32.add (call_ref $fn (local.get $l) (i32.const 0) (ref.func $sum))
             (i32.add (array.get_u $bytes (local.get $a) (i32.const 1))
                      (ref.test (ref $pair) (struct.new $pair (i32.const 0) (ref.null $list) (i32.const 3))))))
)
"""
DATA = wat2wasm(WAT)
MODES = ("lazy", "eager")


def test_gc_module_information_round_trips_through_msgpack():
    validated = validate(decode_module(DATA))
    info = msgpack.unpackb(msgpack.packb(encode_module_info(validated)), raw=False, strict_map_key=True)
    again = decode_module_info(info)
    for name in ("types", "sub_types", "rec_groups", "tables", "globals_", "imports"):
        assert getattr(again.module, name) == getattr(validated.module, name), name
    # The same canonical types (hash-consed per process), not equal copies.
    assert all(a is b for a, b in zip(def_types_of(again), def_types_of(validated), strict=True))


def test_malformed_type_data_is_a_cache_fault_not_a_crash():
    info = encode_module_info(validate(decode_module(DATA)))
    for bad in ([[[7, []]], [], []], [[[0, [], []]], [[True, [5]]], [1]], "junk"):
        with pytest.raises(PywazError):
            decode_module_info({**info, "types": bad})


@pytest.mark.parametrize("mode", MODES)
def test_disk_hit_runs_gc_code_with_no_decode_validate_or_compile(mode, cache_dir, monkeypatch):
    with (
        pywaz.CompilationCache(cache_dir) as cache,
        pywaz.Runtime(engine="compiler", compile_mode=mode, cache=cache) as runtime,
    ):
        assert runtime.instantiate(DATA).exports["run"](10) == 55 + 6 + 1

    def refuse(*args, **kwargs):
        raise AssertionError("a cache hit must not decode, validate or compile")

    monkeypatch.setattr(pywaz.decoder, "decode_module", refuse)
    monkeypatch.setattr(pywaz.validator, "validate", refuse)
    monkeypatch.setattr(artifact_module, "compile_function", refuse)
    with (
        pywaz.CompilationCache(cache_dir) as cache,
        pywaz.Runtime(engine="compiler", compile_mode=mode, cache=cache) as runtime,
    ):
        assert runtime.instantiate(DATA).exports["run"](10) == 55 + 6 + 1
        assert runtime.stats() == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
