;; A WASI command that writes two lines to stderr and "out" to stdout: for `sluice logs`, which
;; shows what the guest wrote to stderr under each invocation (tests/cli/run.sh).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "first line\nsecond line\n")
  (data (i32.const 48) "out")
  (func (export "_start")
    ;; iovec at 0: base 16, len 23 -> fd 2
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 23))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    ;; iovec at 0: base 48, len 3 -> fd 1
    (i32.store (i32.const 0) (i32.const 48))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
