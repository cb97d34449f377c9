;; Unbounded recursion with a few locals per frame.
(module
  (memory (export "memory") 1)
  (func $deeper (param $n i64) (result i64)
    (i64.add (call $deeper (i64.add (local.get $n) (i64.const 1))) (local.get $n)))
  (func (export "_start")
    (drop (call $deeper (i64.const 0)))))
