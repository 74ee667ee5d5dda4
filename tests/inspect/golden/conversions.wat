(module
  ;; Conversions between the four numeric types: trapping and saturating truncation,
  ;; extension, wrapping, promotion, demotion and reinterpretation.
  (func $main (export "main") (param $x f64) (param $n i32) (result i64)
    (i64.add
      (i64.add
        (i64.trunc_f64_s (local.get $x))
        (i64.extend_i32_u (i32.trunc_sat_f32_s (f32.demote_f64 (local.get $x)))))
      (i64.add
        (i64.extend_i32_s (i32.wrap_i64 (i64.reinterpret_f64 (f64.promote_f32 (f32.convert_i32_u (local.get $n))))))
        (i64.extend8_s (i64.extend_i32_u (local.get $n)))))))
