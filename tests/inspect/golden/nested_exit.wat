(module
  ;; A branch from an inner loop out of two enclosing constructs at once.
  (func $main (export "main") (param $n i32) (result i32) (local $i i32)
    (block $exit
      (loop $outer
        (loop $inner
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
          (br_if $inner (i32.and (local.get $i) (i32.const 1))))
        (br $outer)))
    (local.get $i)))
