;; Found by fuzz_module: export names may contain NUL bytes, but the C API passes names as C
;; strings, so sl_module_export() reports "f" for "f\00x" and sl_instance_func(inst, "f")
;; finds nothing (or, if the module also exports "f", that other function). The harnesses
;; skip such exports; this input keeps that path covered.
(module
  (memory (export "m\00em") 1)
  (func (export "f\00x") (result i32) (i32.const 1))
  (func (export "g") (result i32) (i32.const 2)))
