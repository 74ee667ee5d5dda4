(module
  ;; One SIMD lane-wise add on four i32 lanes, and a lane extraction.
  (func $main (export "main") (param $a i32) (result i32)
    (i32x4.extract_lane 2
      (i32x4.add
        (i32x4.splat (local.get $a))
        (v128.const i32x4 1 2 3 4)))))
