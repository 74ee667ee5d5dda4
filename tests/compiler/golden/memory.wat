(module
  (memory 1)
  (func (param i32 i32)
    (i32.store offset=8 (local.get 0) (i32.mul (i32.load (local.get 0)) (local.get 1)))
    (i32.store8 (local.get 1) (i32.load8_u (local.get 0)))))
