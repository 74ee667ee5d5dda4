(module
  ;; Loads and stores of several widths, with offsets and sign/zero extension.
  (memory 1)
  (func $main (export "main") (param $p i32) (result i64)
    (i32.store offset=4 (local.get $p) (i32.const 0x12345678))
    (i64.store8 (local.get $p) (i64.const -1))
    (f64.store offset=8 (local.get $p) (f64.const 1.5))
    (i64.add
      (i64.load16_s offset=4 (local.get $p))
      (i64.extend_i32_u (i32.load8_u (local.get $p))))))
