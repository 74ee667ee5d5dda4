(module
  ;; i32 arithmetic, bit and comparison operators (wrapping, signed division, rotation, counting).
  (func $main (export "main") (param $a i32) (param $b i32) (result i32)
    (i32.xor
      (i32.add (i32.mul (local.get $a) (local.get $b)) (i32.div_s (local.get $a) (local.get $b)))
      (i32.add
        (i32.rotl (i32.shr_u (local.get $a) (i32.const 3)) (local.get $b))
        (i32.add (i32.popcnt (local.get $a)) (i32.lt_s (local.get $a) (local.get $b)))))))
