;; Function 0: array accesses in a function without memory accesses (unchecked, IndexError traps), new_fixed,
;; i31 and the bulk helpers.
(module
  (type $bytes (array (mut i8)))
  (func (param $n i32) (result i32)
    (local $a (ref $bytes))
    (local.set $a (array.new $bytes (i32.const 0) (local.get $n)))
    (array.set $bytes (local.get $a) (i32.const 0) (i32.const 200))
    (array.fill $bytes (local.get $a) (i32.const 1) (i32.const 7) (i32.const 2))
    (array.copy $bytes $bytes (local.get $a) (i32.const 3) (array.new_fixed $bytes 2 (i32.const 1) (i32.const 2))
                (i32.const 0) (i32.const 2))
    (i32.add (array.get_s $bytes (local.get $a) (i32.const 0))
             (i31.get_u (ref.i31 (array.len (local.get $a))))))
)
