(module
  ;; An early return from inside a block, and the implicit return at the end.
  (func $main (export "main") (param i32) (result i32)
    (block
      (br_if 0 (i32.eqz (local.get 0)))
      (return (i32.const 7)))
    (i32.const 8)))
