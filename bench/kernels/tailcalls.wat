;; A tokenizer written as a state machine of tail calls: each state consumes one
;; pseudo-random byte (the LCG of fnv.c) and return_calls the next state, so a run
;; of n bytes is n tail calls in constant stack. Byte classes: < 64 space,
;; 64..159 letter, 160..255 digit. Result: words * 65536 + numbers (mod 2^32).
(module
  (type $state (func (param i32 i32 i32 i32 i32) (result i32)))

  ;; The next LCG state; the byte is (state >> 16) & 255.
  (func $lcg (param $s i32) (result i32)
    (i32.add (i32.mul (local.get $s) (i32.const 1103515245)) (i32.const 12345)))

  ;; Params of every state: bytes left, LCG state, words, numbers, unused.
  (func $space (type $state)
    (local $byte i32)
    (if (i32.eqz (local.get 0))
      (then (return (i32.add (i32.shl (local.get 2) (i32.const 16)) (local.get 3)))))
    (local.set 1 (call $lcg (local.get 1)))
    (local.set $byte (i32.and (i32.shr_u (local.get 1) (i32.const 16)) (i32.const 255)))
    (if (i32.lt_u (local.get $byte) (i32.const 64))
      (then (return_call $space (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                                (local.get 2) (local.get 3) (local.get 4))))
    (if (i32.lt_u (local.get $byte) (i32.const 160))
      (then (return_call $word (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                               (i32.add (local.get 2) (i32.const 1)) (local.get 3) (local.get 4))))
    (return_call $number (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                         (local.get 2) (i32.add (local.get 3) (i32.const 1)) (local.get 4)))

  (func $word (type $state)
    (local $byte i32)
    (if (i32.eqz (local.get 0))
      (then (return (i32.add (i32.shl (local.get 2) (i32.const 16)) (local.get 3)))))
    (local.set 1 (call $lcg (local.get 1)))
    (local.set $byte (i32.and (i32.shr_u (local.get 1) (i32.const 16)) (i32.const 255)))
    (if (i32.lt_u (local.get $byte) (i32.const 64))
      (then (return_call $space (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                                (local.get 2) (local.get 3) (local.get 4))))
    ;; a digit inside a word stays part of the word
    (return_call $word (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                       (local.get 2) (local.get 3) (local.get 4)))

  (func $number (type $state)
    (local $byte i32)
    (if (i32.eqz (local.get 0))
      (then (return (i32.add (i32.shl (local.get 2) (i32.const 16)) (local.get 3)))))
    (local.set 1 (call $lcg (local.get 1)))
    (local.set $byte (i32.and (i32.shr_u (local.get 1) (i32.const 16)) (i32.const 255)))
    (if (i32.lt_u (local.get $byte) (i32.const 64))
      (then (return_call $space (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                                (local.get 2) (local.get 3) (local.get 4))))
    (if (i32.lt_u (local.get $byte) (i32.const 160))
      ;; a letter after digits starts a word
      (then (return_call $word (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                               (i32.add (local.get 2) (i32.const 1)) (local.get 3) (local.get 4))))
    (return_call $number (i32.sub (local.get 0) (i32.const 1)) (local.get 1)
                         (local.get 2) (local.get 3) (local.get 4)))

  (func (export "tokens") (param $n i32) (result i32)
    (return_call $space (local.get $n) (i32.const 12345) (i32.const 0) (i32.const 0) (i32.const 0))))
