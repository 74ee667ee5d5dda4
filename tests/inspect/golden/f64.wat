(module
  ;; f64 arithmetic, rounding and comparison.
  (func $main (export "main") (param $x f64) (param $y f64) (result f64)
    (select
      (f64.div (f64.floor (local.get $x)) (local.get $y))
      (f64.copysign (f64.abs (local.get $x)) (local.get $y))
      (f64.lt (local.get $x) (local.get $y)))))
