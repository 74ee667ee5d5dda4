(module
  ;; memory.fill, memory.copy, memory.init from a passive segment, data.drop and memory.grow/size.
  (memory 1)
  (data $greeting "hello")
  (func $main (export "main") (param $dst i32) (result i32)
    (memory.fill (local.get $dst) (i32.const 0) (i32.const 16))
    (memory.init $greeting (local.get $dst) (i32.const 0) (i32.const 5))
    (memory.copy (i32.add (local.get $dst) (i32.const 8)) (local.get $dst) (i32.const 5))
    (data.drop $greeting)
    (i32.add (memory.grow (i32.const 1)) (memory.size))))
