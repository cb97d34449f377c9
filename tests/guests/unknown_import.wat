;; Imports a function no host provides.
(module
  (import "evil" "launch_missiles" (func $launch (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $launch (i32.const 1))))
