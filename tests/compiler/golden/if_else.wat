(module
  (func (param i32 i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (local.get 1))
      (then (i32.sub (local.get 1) (local.get 0)))
      (else (i32.sub (local.get 0) (local.get 1))))))
