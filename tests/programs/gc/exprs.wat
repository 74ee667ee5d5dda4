;; Expression trees on WebAssembly GC, written by hand to use what gc_program.wasm (p2w)
;; does not: struct subtypes dispatched by br_on_cast / br_on_cast_fail, operators as
;; typed function references called with call_ref, packed i8 fields and arrays,
;; array.new_data / array.copy / array.fill / array.init_data, i31 values mixed with
;; structs in an anyref array, extern.convert_any / any.convert_extern round trips,
;; ref.eq on shared subtrees, and non-nullable locals. Every export takes and returns
;; i32, so runtimes are compared on plain numbers; test_gc_program.py also checks them
;; against a Python model of the same trees.
(module
  (rec
    (type $binop (func (param i32 i32) (result i32)))
    (type $expr (sub (struct (field $tag i8))))
    (type $num (sub final $expr (struct (field $tag i8) (field $value i32))))
    (type $var (sub final $expr (struct (field $tag i8) (field $index i32))))
    (type $bin (sub final $expr
      (struct (field $tag i8) (field $op (ref $binop)) (field $symbol i8)
              (field $left (ref $expr)) (field $right (ref $expr))))))
  (type $env (array (mut i32)))
  (type $bytes (array (mut i8)))
  (type $anys (array (mut anyref)))

  (data $symbols "+*-")
  (data $digits "0123456789")
  (elem declare func $add $mul $sub)

  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))

  ;; The LCG of fnv.c: the next seed.
  (func $next (param $seed i32) (result i32)
    (i32.add (i32.mul (local.get $seed) (i32.const 1103515245)) (i32.const 12345)))

  ;; A tree of the given depth; leaves are numbers 0..9 or variables 0..2.
  (func $build (param $seed i32) (param $depth i32) (result (ref $expr))
    (local $pick i32) (local $symbols (ref $bytes))
    (local.set $pick (i32.and (i32.shr_u (local.get $seed) (i32.const 16)) (i32.const 0x7fff)))
    (if (i32.eqz (local.get $depth))
      (then
        (if (i32.lt_u (i32.rem_u (local.get $pick) (i32.const 4)) (i32.const 3))
          (then (return (struct.new $num (i32.const 0) (i32.rem_u (local.get $pick) (i32.const 10)))))
          (else (return (struct.new $var (i32.const 1) (i32.rem_u (local.get $pick) (i32.const 3))))))))
    (local.set $symbols (array.new_data $bytes $symbols (i32.const 0) (i32.const 3)))
    (local.set $pick (i32.rem_u (local.get $pick) (i32.const 3)))
    (struct.new $bin
      (i32.const 2)
      (if (result (ref $binop)) (i32.eqz (local.get $pick))
        (then (ref.func $add))
        (else (if (result (ref $binop)) (i32.eq (local.get $pick) (i32.const 1))
          (then (ref.func $mul)) (else (ref.func $sub)))))
      (array.get_u $bytes (local.get $symbols) (local.get $pick))
      (call $build (call $next (local.get $seed)) (i32.sub (local.get $depth) (i32.const 1)))
      (call $build (call $next (call $next (local.get $seed))) (i32.sub (local.get $depth) (i32.const 1)))))

  (func $eval (param $e (ref $expr)) (param $env (ref $env)) (result i32)
    (local $b (ref $bin)) (local $v (ref $var))
    (block $not_num (result (ref $expr))
      (return (struct.get $num $value (br_on_cast_fail $not_num (ref $expr) (ref $num) (local.get $e)))))
    (block $is_var (param (ref $expr)) (result (ref $var))
      (br_on_cast $is_var (ref $expr) (ref $var))
      (local.set $b (ref.cast (ref $bin)))
      (return (call_ref $binop
        (call $eval (struct.get $bin $left (local.get $b)) (local.get $env))
        (call $eval (struct.get $bin $right (local.get $b)) (local.get $env))
        (struct.get $bin $op (local.get $b)))))
    (local.set $v)
    (array.get $env (local.get $env) (struct.get $var $index (local.get $v))))

  (func $size (param $e (ref $expr)) (result i32)
    (if (result i32) (ref.test (ref $bin) (local.get $e))
      (then (i32.add (i32.const 1)
        (i32.add (call $size (struct.get $bin $left (ref.cast (ref $bin) (local.get $e))))
                 (call $size (struct.get $bin $right (ref.cast (ref $bin) (local.get $e)))))))
      (else (i32.const 1))))

  ;; Prefix notation into $out from $at (growing $out by copying); returns the new end.
  (global $out (mut (ref null $bytes)) (ref.null $bytes))

  (func $emit (param $at i32) (param $byte i32) (result i32)
    (local $bigger (ref $bytes))
    (if (i32.ge_u (local.get $at) (array.len (ref.as_non_null (global.get $out))))
      (then
        (local.set $bigger (array.new_default $bytes (i32.mul (local.get $at) (i32.const 2))))
        (array.fill $bytes (local.get $bigger) (i32.const 0) (i32.const 63) (array.len (local.get $bigger)))
        (array.copy $bytes $bytes (local.get $bigger) (i32.const 0)
          (ref.as_non_null (global.get $out)) (i32.const 0) (local.get $at))
        (global.set $out (local.get $bigger))))
    (array.set $bytes (ref.as_non_null (global.get $out)) (local.get $at) (local.get $byte))
    (i32.add (local.get $at) (i32.const 1)))

  (func $write (param $e (ref $expr)) (param $at i32) (result i32)
    (local $b (ref $bin)) (local $digit (ref $bytes))
    (if (ref.test (ref $num) (local.get $e))
      (then
        (local.set $digit (array.new $bytes (i32.const 0) (i32.const 1)))
        (array.init_data $bytes $digits (local.get $digit) (i32.const 0)
          (struct.get $num $value (ref.cast (ref $num) (local.get $e))) (i32.const 1))
        (return (call $emit (local.get $at) (array.get_s $bytes (local.get $digit) (i32.const 0))))))
    (if (ref.test (ref $var) (local.get $e))
      (then (return (call $emit (local.get $at)
        (i32.add (i32.const 120) (struct.get $var $index (ref.cast (ref $var) (local.get $e))))))))
    (local.set $b (ref.cast (ref $bin) (local.get $e)))
    (local.set $at (call $emit (local.get $at) (i32.const 40)))
    (local.set $at (call $emit (local.get $at) (struct.get_u $bin $symbol (local.get $b))))
    (local.set $at (call $emit (local.get $at) (i32.const 32)))
    (local.set $at (call $write (struct.get $bin $left (local.get $b)) (local.get $at)))
    (local.set $at (call $emit (local.get $at) (i32.const 32)))
    (local.set $at (call $write (struct.get $bin $right (local.get $b)) (local.get $at)))
    (call $emit (local.get $at) (i32.const 41)))

  (func (export "eval_tree") (param $seed i32) (param $depth i32) (param $x i32) (result i32)
    (call $eval (call $build (local.get $seed) (local.get $depth))
      (array.new_fixed $env 3 (local.get $x)
        (i32.add (i32.mul (local.get $x) (i32.const 3)) (i32.const 1)) (i32.const 7))))

  (func (export "tree_size") (param $seed i32) (param $depth i32) (result i32)
    (call $size (call $build (local.get $seed) (local.get $depth))))

  ;; FNV-1a over the prefix text of the tree, then the text's length in the top 12 bits' place.
  (func (export "text_hash") (param $seed i32) (param $depth i32) (result i32)
    (local $end i32) (local $i i32) (local $hash i32) (local $text (ref $bytes))
    (global.set $out (array.new_default $bytes (i32.const 4)))
    (local.set $end (call $write (call $build (local.get $seed) (local.get $depth)) (i32.const 0)))
    (local.set $text (ref.as_non_null (global.get $out)))
    (local.set $hash (i32.const 0x811c9dc5))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $hash (i32.mul (i32.xor (local.get $hash) (array.get_u $bytes (local.get $text) (local.get $i)))
                                  (i32.const 16777619)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $bytes)))
    (i32.add (local.get $hash) (i32.shl (local.get $end) (i32.const 20))))

  ;; Element i of an anyref array is i31 i (even i), a $num of value 3i (i % 4 == 1), or null;
  ;; each is sent through externref and back; the sum of what comes back is returned.
  (func (export "mixed_sum") (param $n i32) (result i32)
    (local $items (ref $anys)) (local $i i32) (local $sum i32) (local $item anyref)
    (local.set $items (array.new $anys (ref.null any) (local.get $n)))
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eqz (i32.and (local.get $i) (i32.const 1)))
          (then (array.set $anys (local.get $items) (local.get $i) (ref.i31 (local.get $i))))
          (else (if (i32.eq (i32.and (local.get $i) (i32.const 3)) (i32.const 1))
            (then (array.set $anys (local.get $items) (local.get $i)
              (struct.new $num (i32.const 0) (i32.mul (local.get $i) (i32.const 3))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $i (i32.const 0))
    (block $summed
      (loop $add
        (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $item (any.convert_extern (extern.convert_any (array.get $anys (local.get $items) (local.get $i)))))
        (block $next
          (block $not_i31 (result anyref)
            (local.set $sum (i32.add (local.get $sum)
              (i31.get_s (br_on_cast_fail $not_i31 anyref (ref i31) (local.get $item)))))
            (br $next))
          (block $null (param anyref)
            (br_on_null $null)
            (ref.cast (ref $num))
            (struct.get $num $value)
            (local.set $sum (i32.add (local.get $sum)))
            (br $next))
          (local.set $sum (i32.add (local.get $sum) (i32.const 1000))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $add)))
    (local.get $sum))

  ;; A tree whose two halves are one shared subtree: ref.eq sees the sharing, a rebuilt
  ;; copy is equal in value but not in identity. Returns 1 + 2 + 4 when all three hold.
  (func (export "sharing") (param $seed i32) (result i32)
    (local $half (ref $expr)) (local $tree (ref $bin)) (local $copy (ref $expr))
    (local.set $half (call $build (local.get $seed) (i32.const 3)))
    (local.set $tree (struct.new $bin (i32.const 2) (ref.func $add) (i32.const 43) (local.get $half) (local.get $half)))
    (local.set $copy (call $build (local.get $seed) (i32.const 3)))
    (i32.add
      (i32.add
        (ref.eq (struct.get $bin $left (local.get $tree)) (struct.get $bin $right (local.get $tree)))
        (i32.shl (i32.eqz (ref.eq (local.get $half) (local.get $copy))) (i32.const 1)))
      (i32.shl
        (i32.eq (call $eval (local.get $half) (array.new_fixed $env 3 (i32.const 1) (i32.const 2) (i32.const 3)))
                (call $eval (local.get $copy) (array.new_fixed $env 3 (i32.const 1) (i32.const 2) (i32.const 3))))
        (i32.const 2)))))
