;; Spins forever in _start: only the wall clock or the fuel budget can stop it.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      br $forever)))
