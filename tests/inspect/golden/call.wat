(module
  ;; A direct call and an indirect call through a table.
  (type $unary (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $double $square)
  (func $double (type $unary) (i32.add (local.get 0) (local.get 0)))
  (func $square (type $unary) (i32.mul (local.get 0) (local.get 0)))
  (func $main (export "main") (param i32 i32) (result i32)
    (call_indirect (type $unary) (call $double (local.get 0)) (local.get 1))))
