;; binary-trees (the Benchmarks Game's allocation test) on WebAssembly GC structs:
;; build perfect binary trees bottom-up, count their nodes, drop them. Trees of depth
;; 4, 6, ... up to n are built 2^(n - depth + 4) times each, beside a stretch tree of
;; depth n + 1 and a long-lived tree of depth n that stays reachable throughout.
;; Result: the sum of every count (mod 2^32).
(module
  (type $tree (struct (field $left (ref null $tree)) (field $right (ref null $tree))))

  (func $bottom_up (param $depth i32) (result (ref $tree))
    (if (result (ref $tree)) (i32.eqz (local.get $depth))
      (then (struct.new $tree (ref.null $tree) (ref.null $tree)))
      (else
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (struct.new $tree (call $bottom_up (local.get $depth)) (call $bottom_up (local.get $depth))))))

  (func $check (param $node (ref $tree)) (result i32)
    (local $left (ref null $tree))
    (local.set $left (struct.get $tree $left (local.get $node)))
    (if (result i32) (ref.is_null (local.get $left))
      (then (i32.const 1))
      (else
        (i32.add
          (i32.add (i32.const 1) (call $check (ref.as_non_null (local.get $left))))
          (call $check (ref.as_non_null (struct.get $tree $right (local.get $node))))))))

  (func (export "binary_trees") (param $n i32) (result i32)
    (local $max_depth i32) (local $depth i32) (local $iterations i32) (local $i i32)
    (local $total i32) (local $long_lived (ref null $tree))
    ;; max_depth = max(6, n): min_depth is 4
    (local.set $max_depth (select (local.get $n) (i32.const 6) (i32.gt_u (local.get $n) (i32.const 6))))
    (local.set $total (call $check (call $bottom_up (i32.add (local.get $max_depth) (i32.const 1)))))
    (local.set $long_lived (call $bottom_up (local.get $max_depth)))
    (local.set $depth (i32.const 4))
    (block $done
      (loop $depths
        (br_if $done (i32.gt_u (local.get $depth) (local.get $max_depth)))
        (local.set $iterations
          (i32.shl (i32.const 1) (i32.add (i32.sub (local.get $max_depth) (local.get $depth)) (i32.const 4))))
        (local.set $i (i32.const 0))
        (loop $trees
          (local.set $total (i32.add (local.get $total) (call $check (call $bottom_up (local.get $depth)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $trees (i32.lt_u (local.get $i) (local.get $iterations))))
        (local.set $depth (i32.add (local.get $depth) (i32.const 2)))
        (br $depths)))
    (i32.add (local.get $total) (call $check (ref.as_non_null (local.get $long_lived))))))
