;; Asks for 60000 pages (3.7 GiB) of initial memory.
(module
  (memory (export "memory") 60000)
  (func (export "_start")))
