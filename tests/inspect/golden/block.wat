(module
  ;; A block left early by br_if, otherwise falling through with its result.
  (func $main (export "main") (param i32) (result i32)
    (block $out (result i32)
      (br_if $out (i32.const 1) (local.get 0))
      (drop)
      (i32.const 2))))
