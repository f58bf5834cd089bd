;; Found by fuzz_module: export names may contain NUL bytes, but the C API passed names as C
;; strings, so "f\00x" was reported as "f" and could not be looked up (or found another
;; export "f"). Fixed with lengths in sl_exportdesc and sl_instance_export_n; the harness
;; now checks every listed export is found by its whole name.
(module
  (memory (export "m\00em") 1)
  (func (export "f\00x") (result i32) (i32.const 1))
  (func (export "g") (result i32) (i32.const 2)))
