(module
  (func (param i32) (result i32) (local i32)
    (block $out
      (loop $outer
        (loop $inner
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $out (i32.gt_u (local.get 1) (local.get 0)))
          (br_if $inner (i32.and (local.get 1) (i32.const 1)))
          (br $outer))))
    (local.get 1)))
