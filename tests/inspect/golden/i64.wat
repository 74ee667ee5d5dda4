(module
  ;; i64 arithmetic, shifts, unsigned remainder and leading-zero count.
  (func $main (export "main") (param $a i64) (param $b i64) (result i64)
    (i64.or
      (i64.sub (i64.shl (local.get $a) (i64.const 7)) (i64.rem_u (local.get $a) (local.get $b)))
      (i64.add (i64.clz (local.get $b)) (i64.shr_s (local.get $b) (i64.const 63))))))
