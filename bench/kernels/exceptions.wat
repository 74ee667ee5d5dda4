;; Exceptions for rare errors: a loop of checked steps, each of which may throw.
;; step(x, bad) throws $bad_input(x) when x mod 1009 == bad, else returns a mixed value.
;; rare_errors(n): bad = 0, so about one step in 1009 throws and the try_table's handler
;;   counts it; try_idle(n): the same loop and try_table, bad = 1009 so nothing throws;
;;   try_none(n): the same as try_idle without the try_table.
(module
  (tag $bad_input (param i32))

  (func $step (param $x i32) (param $bad i32) (result i32)
    (if (i32.eq (i32.rem_u (local.get $x) (i32.const 1009)) (local.get $bad))
      (then (throw $bad_input (local.get $x))))
    (i32.xor (i32.shr_u (i32.mul (local.get $x) (local.get $x)) (i32.const 3)) (local.get $x)))

  (func $guarded (param $n i32) (param $bad i32) (result i32)
    (local $i i32) (local $acc i32) (local $errors i32) (local $x i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.add (i32.mul (local.get $i) (i32.const 7919)) (i32.const 17)))
        (block $caught (result i32)
          (try_table (catch $bad_input $caught)
            (local.set $acc
              (i32.add (i32.mul (local.get $acc) (i32.const 31))
                       (call $step (local.get $x) (local.get $bad)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next))
        ;; the handler: $caught received the thrown x
        (local.set $x)
        (local.set $acc (i32.xor (local.get $acc) (local.get $x)))
        (local.set $errors (i32.add (local.get $errors) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $acc) (i32.mul (local.get $errors) (i32.const 65599))))

  (func (export "rare_errors") (param $n i32) (result i32)
    (call $guarded (local.get $n) (i32.const 0)))

  (func (export "try_idle") (param $n i32) (result i32)
    (call $guarded (local.get $n) (i32.const 1009)))

  (func (export "try_none") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i32.add (i32.mul (local.get $acc) (i32.const 31))
                   (call $step (i32.add (i32.mul (local.get $i) (i32.const 7919)) (i32.const 17))
                               (i32.const 1009))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
