;; Function 0: struct access by slot attribute, a packed field, a cast specialised on a non-final and a
;; final type, br_on_cast / br_on_null, ref.eq, call_ref.
(module
  (type $point (sub (struct (field $x (mut i32)) (field $tag i8))))
  (type $point3 (sub final $point (struct (field (mut i32)) (field i8) (field $z i64))))
  (type $fn (func (param i32) (result i32)))
  (func (param $v anyref) (param $f (ref null $fn)) (result i32)
    (local $p (ref null $point))
    (drop (block $not_point (result anyref)
      (local.set $p (br_on_cast_fail $not_point anyref (ref $point) (local.get $v)))
      (struct.set $point $x (local.get $p) (i32.add (struct.get $point $x (local.get $p)) (i32.const 1)))
      (if (ref.test (ref $point3) (local.get $p))
        (then (return (i32.wrap_i64 (struct.get $point3 $z (ref.cast (ref $point3) (local.get $p)))))))
      (return (i32.add (struct.get_s $point $tag (local.get $p)) (ref.eq (local.get $p) (ref.cast eqref (local.get $v)))))))
    (block $null
      (return (call_ref $fn (i32.const 7) (br_on_null $null (local.get $f)))))
    (i32.const -1))
)
