(module
  ;; f32 arithmetic is rounded to single precision after each operation.
  (func $main (export "main") (param $x f32) (param $y f32) (result f32)
    (f32.add
      (f32.mul (local.get $x) (local.get $y))
      (f32.min (f32.sqrt (local.get $x)) (f32.neg (local.get $y))))))
