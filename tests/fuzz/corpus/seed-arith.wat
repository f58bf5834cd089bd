;; Integer and float arithmetic, conversions and sign extension on values from memory-free
;; locals; results through exports.
(module
  (func (export "i32") (param $a i32) (result i32)
    (local $b i32)
    (local.set $b (i32.add (local.get $a) (i32.const 0x7fffffff)))
    (i32.xor
      (i32.rotl (i32.mul (local.get $b) (i32.const 31)) (i32.const 5))
      (i32.extend8_s (i32.popcnt (i32.clz (local.get $b))))))
  (func (export "i64") (param $a i64) (result i64)
    (i64.sub (i64.shr_s (i64.const -9) (i64.const 1))
             (i64.extend_i32_u (i32.wrap_i64 (i64.ctz (local.get $a))))))
  (func (export "f32") (param $x f32) (result f32)
    (f32.copysign (f32.sqrt (f32.add (local.get $x) (f32.const 2.25))) (f32.const -1)))
  (func (export "f64") (param $x f64) (result f64)
    (f64.nearest (f64.div (f64.const 7) (f64.sub (local.get $x) (f64.const 0.5)))))
  (func (export "sat") (param $x f64) (result i32)
    (i32.trunc_sat_f64_s (f64.div (f64.const 1) (local.get $x))))
  (func (export "div0") (param $a i32) (result i32)
    (i32.div_s (i32.const 1) (local.get $a)))
  (func (export "overflow") (param $a i32) (result i32)
    (i32.div_s (i32.const 0x80000000) (i32.sub (local.get $a) (i32.const 1))))
  (func (export "trunc") (param $x f32) (result i64)
    (i64.trunc_f32_u (f32.sub (local.get $x) (f32.const 1)))))
