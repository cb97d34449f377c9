;; Calls proc_exit(200) directly: exit codes 126..255 are legal POSIX statuses.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $exit (i32.const 200))
    unreachable))
