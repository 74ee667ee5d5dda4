(module
  ;; Atomics (threads proposal) on an unshared memory: each is a call of the shared semantics,
  ;; a load an expression, the rest statements in program order; atomic.fence emits nothing.
  (memory 1 1)
  (func $main (export "main") (param $addr i32) (result i32)
    (i32.atomic.store offset=8 (local.get $addr) (i32.const 40))
    (drop (i32.atomic.rmw.add offset=8 (local.get $addr) (i32.const 2)))
    (atomic.fence)
    (drop (i32.atomic.rmw8.cmpxchg_u (local.get $addr) (i32.const 0) (i32.const 0x1ff)))
    (i32.add
      (i32.atomic.load offset=8 (local.get $addr))
      (i32.add (i32.atomic.load8_u (local.get $addr))
               (memory.atomic.notify (local.get $addr) (i32.const 1))))))
