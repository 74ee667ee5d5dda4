;; Three memories: memory 0 stays the local _m, memory 2 gets _m2; the 64-bit memory 1 gets _m1, its
;; size and grow are i64 and the function also catches OverflowError (a 64-bit address can pass what
;; struct takes). After the call and after memory.grow the locals are reloaded.
(module
  (memory 1)
  (memory i64 1)
  (memory 1)
  (func (param $a i32) (param $b i64) (result i64)
    (i32.store (local.get $a) (i32.load 2 offset=8 (local.get $a)))
    (i64.store 1 offset=0x100000000 (local.get $b) (i64.load8_u 1 (local.get $b)))
    (call $callee)
    (drop (memory.grow 1 (i64.const 1)))
    (memory.copy 1 2 (local.get $b) (local.get $a) (i32.const 4))
    (i64.add (memory.size 1) (i64.extend_i32_u (memory.size 0))))
  (func $callee))
