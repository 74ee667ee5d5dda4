(module
  ;; if/else with a result, and an if without else.
  (func $main (export "main") (param i32) (result i32) (local i32)
    (if (i32.gt_s (local.get 0) (i32.const 100))
      (then (local.set 1 (i32.const 1))))
    (if (result i32) (local.get 0)
      (then (i32.add (local.get 1) (i32.const 10)))
      (else (i32.const 20)))))
