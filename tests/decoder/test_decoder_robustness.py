"""Any byte string decodes, raises DecodeError, or names a proposal pywaz does not run: never another exception.

Inputs are seeded mutations (flips, truncations, insertions) of real modules
assembled by ``pywaz.wat2wasm``, so they reach deep into every section.
"""

import random


from pywaz.decoder import decode_module
from pywaz.errors import DecodeError
from pywaz.features import ProposalNotImplementedError
from pywaz.text import wat2wasm

WAT = """
(module
  (type $t (func (param i32 i64) (result f32)))
  (import "env" "f" (func $imp (type $t)))
  (import "env" "mem" (memory 1 2))
  (import "env" "g" (global $g (mut i32)))
  (table $tab 2 10 funcref)
  (table $ext 1 externref)
  (global $h (mut i64) (i64.const -5))
  (global $r funcref (ref.func $f))
  (elem (table $tab) (i32.const 0) func $f $imp)
  (elem funcref (ref.func $f) (ref.null func))
  (elem declare func $f)
  (data (i32.const 8) "hello")
  (data "passive")
  (func $f (export "f") (param $x i32) (param i64) (result f32)
    (local $l f64) (local v128)
    block $b (result i32)
      local.get $x
      br_if $b
      loop $loop
        local.get $x
        i32.const -1
        i32.add
        local.tee $x
        br_if $loop
      end
      i32.const 7
      br_table $b $b
    end
    if (result i32)
      i32.const 1
    else
      i32.const 2
    end
    drop
    i32.const 0
    i64.load offset=16 align=4
    drop
    i32.const 0 i32.const 1 i32.const 2 memory.init 1
    data.drop 0
    i32.const 0 i32.const 0 i32.const 0 memory.copy
    v128.const i32x4 1 2 3 4
    v128.const i32x4 5 6 7 8
    i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
    i32x4.extract_lane 2
    drop
    i32.const 0
    f32.const nan:0x200000
    local.get 1
    call $imp
    f32.add
    i32.const 1
    i32.const 0
    call_indirect $tab (type $t)
    drop
    ref.null extern
    table.set $ext (i32.const 0)
    i32.const 0 i32.const 0 i32.const 0 table.init $tab 1
    elem.drop 1
  )
  (start $s)
  (func $s)
)
"""


def _mutants(data: bytes, rng: random.Random, count: int):
    for _ in range(count):
        buf = bytearray(data)
        action = rng.randrange(4)
        if action == 0:
            for _ in range(rng.randrange(1, 4)):
                buf[rng.randrange(8, len(buf))] = rng.randrange(256)
        elif action == 1:
            del buf[rng.randrange(8, len(buf)) :]
        elif action == 2:
            at = rng.randrange(8, len(buf))
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6)))
        else:
            at = rng.randrange(8, len(buf))
            del buf[at : at + rng.randrange(1, 6)]
        yield bytes(buf)


def test_the_seed_module_decodes():
    m = decode_module(wat2wasm(WAT))
    assert len(m.imports) == 3 and len(m.codes) == 2 and len(m.elements) == 3 and len(m.datas) == 2


def test_mutants_never_raise_anything_but_decode_error():
    seed = bytes(wat2wasm(WAT))
    rng = random.Random(20260)
    outcomes = {"decoded": 0, "malformed": 0, "proposal": 0}
    for mutant in _mutants(seed, rng, 4000):
        try:
            decode_module(mutant)
            outcomes["decoded"] += 1
        except DecodeError as err:
            assert err.offset is not None and 0 <= err.offset <= len(mutant)
            outcomes["malformed"] += 1
        except ProposalNotImplementedError as err:
            assert err.offset is not None and 0 <= err.offset < len(mutant)
            outcomes["proposal"] += 1
    assert outcomes["malformed"] > 0 and outcomes["decoded"] > 0
