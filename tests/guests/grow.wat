;; Grows linear memory by 1 MiB at a time, forever, touching each new page.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (local $pages i32)
    (loop $forever
      (local.set $pages (memory.grow (i32.const 16)))
      ;; memory.grow returns -1 when refused; a guest that ignores it just retries.
      (if (i32.ge_s (local.get $pages) (i32.const 0))
        (then
          (i32.store8 (i32.mul (local.get $pages) (i32.const 65536)) (i32.const 1))))
      br $forever)))
