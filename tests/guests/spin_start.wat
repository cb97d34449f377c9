;; Spins forever in the start function, i.e. during instantiation, before _start exists.
(module
  (memory (export "memory") 1)
  (func $spin
    (loop $forever
      br $forever))
  (start $spin)
  (func (export "_start")))
