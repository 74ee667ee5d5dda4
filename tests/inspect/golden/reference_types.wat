(module
  ;; Reference values: ref.null, ref.func, ref.is_null, table.get/set/size/grow and typed select.
  (table $t 2 funcref)
  (func $f (export "f"))
  (func $main (export "main") (param $i i32) (result i32)
    (table.set $t (local.get $i) (ref.func $f))
    (drop (table.grow $t (ref.null func) (i32.const 1)))
    (i32.add
      (ref.is_null (select (result funcref) (table.get $t (local.get $i)) (ref.null func) (local.get $i)))
      (table.size $t))))
