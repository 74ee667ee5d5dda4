(module
  (func (param i32) (result i32)
    (block $c
      (block $b
        (block $a
          (br_table $a $b $c (local.get 0)))
        (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30)))
