;; The broadcast add: addRows (a part of Trainbench's SIMD kernel module: see module.wat).

  ;; addRows: out[r·inner + j] = a[r·inner + j] + b[j] for r < outer, j < inner: a float32 Add
  ;; whose second operand broadcasts over the first's leading axes (a conv layer's bias over
  ;; [N, H, W, C]). One flat pass over a and out, b's pointer wrapping to its start at its end
  ;; (a select, no branch): 4 vectors a step when inner % 16 == 0, else 1 (inner % 4 == 0). Flat
  ;; beat a loop per row of b, which pays its loop exit every row: 0.24 against 0.31 ms for
  ;; [128, 28, 28, 16] + [16] (C = 16 is one 4-vector step a row). Byte offsets; out may be a.
  (func (export "addRows")
        (param $a i32) (param $b i32) (param $out i32) (param $outer i32) (param $inner i32)
    (local $pb i32) (local $bEnd i32) (local $end i32)
    (local.set $bEnd (i32.add (local.get $b) (i32.shl (local.get $inner) (i32.const 2))))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.mul (local.get $outer) (local.get $inner)) (i32.const 2))))
    (local.set $pb (local.get $b))
    (if (i32.eqz (i32.and (local.get $inner) (i32.const 15)))
      (then
        (block $done4 (loop $loop4
          (br_if $done4 (i32.ge_u (local.get $out) (local.get $end)))
          (v128.store (local.get $out) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $pb))))
          (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $pb))))
          (v128.store offset=32 (local.get $out) (f32x4.add (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $pb))))
          (v128.store offset=48 (local.get $out) (f32x4.add (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $pb))))
          (local.set $a (i32.add (local.get $a) (i32.const 64)))
          (local.set $out (i32.add (local.get $out) (i32.const 64)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
          (local.set $pb (select (local.get $b) (local.get $pb) (i32.eq (local.get $pb) (local.get $bEnd))))
          (br $loop4))))
      (else
        (block $done1 (loop $loop1
          (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
          (v128.store (local.get $out) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $pb))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
          (local.set $pb (select (local.get $b) (local.get $pb) (i32.eq (local.get $pb) (local.get $bEnd))))
          (br $loop1)))))
  )
