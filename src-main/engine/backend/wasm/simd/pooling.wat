;; The max-pool gradient: maxPoolGrad2x2 (a part of Trainbench's SIMD kernel module: see module.wat).

  ;; maxPoolGrad2x2: MaxPoolGrad for 2×2 windows at stride 2 that tile the input exactly, four
  ;; channels a vector. x and dx are [bands · 2, 2·ow, c] (bands = batch · output rows), m (the
  ;; forward output, the window maxima) and g (dy) are [bands, ow, c]; c % 4 == 0, byte offsets.
  ;; Every element of dx is written (no zero fill needed): dy goes to the first element of its
  ;; window, in the order top-left, top-right, bottom-left, bottom-right, that is ≥ the maximum
  ;; (equal to it, as m is the maximum; a NaN element never is), the other three get 0; a window
  ;; whose maximum is −∞ or NaN routes nothing. The masks: e_k = (x_k ≥ m) and no earlier e; dy
  ;; is masked once by (m > −∞), then each store is that masked dy and e_k.
  (func (export "maxPoolGrad2x2")
        (param $x i32) (param $m i32) (param $g i32) (param $dx i32)
        (param $bands i32) (param $ow i32) (param $c i32)
    (local $cb i32) (local $row i32) (local $rowEnd i32) (local $winEnd i32)
    (local $px i32) (local $pd i32) (local $pm i32) (local $pg i32)
    (local $best v128) (local $dy v128) (local $e v128) (local $seen v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $row (i32.shl (i32.mul (local.get $ow) (local.get $cb)) (i32.const 1)))
    (local.set $px (local.get $x))
    (local.set $pd (local.get $dx))
    (local.set $pm (local.get $m))
    (local.set $pg (local.get $g))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.eqz (local.get $bands)))
      (local.set $rowEnd (i32.add (local.get $px) (local.get $row)))
      (block $wdone (loop $wloop
        (br_if $wdone (i32.ge_u (local.get $px) (local.get $rowEnd)))
        (local.set $winEnd (i32.add (local.get $px) (local.get $cb)))
        (block $cdone (loop $cloop
          (br_if $cdone (i32.ge_u (local.get $px) (local.get $winEnd)))
          (local.set $best (v128.load (local.get $pm)))
          (local.set $dy (v128.and (v128.load (local.get $pg))
                                   (f32x4.gt (local.get $best) (v128.const f32x4 -inf -inf -inf -inf))))
          ;; top-left
          (local.set $seen (f32x4.ge (v128.load (local.get $px)) (local.get $best)))
          (v128.store (local.get $pd) (v128.and (local.get $dy) (local.get $seen)))
          ;; top-right
          (local.set $e (v128.andnot (f32x4.ge (v128.load (i32.add (local.get $px) (local.get $cb))) (local.get $best)) (local.get $seen)))
          (v128.store (i32.add (local.get $pd) (local.get $cb)) (v128.and (local.get $dy) (local.get $e)))
          (local.set $seen (v128.or (local.get $seen) (local.get $e)))
          ;; bottom-left
          (local.set $e (v128.andnot (f32x4.ge (v128.load (i32.add (local.get $px) (local.get $row))) (local.get $best)) (local.get $seen)))
          (v128.store (i32.add (local.get $pd) (local.get $row)) (v128.and (local.get $dy) (local.get $e)))
          (local.set $seen (v128.or (local.get $seen) (local.get $e)))
          ;; bottom-right
          (local.set $e (v128.andnot (f32x4.ge (v128.load (i32.add (i32.add (local.get $px) (local.get $row)) (local.get $cb))) (local.get $best)) (local.get $seen)))
          (v128.store (i32.add (i32.add (local.get $pd) (local.get $row)) (local.get $cb)) (v128.and (local.get $dy) (local.get $e)))
          (local.set $px (i32.add (local.get $px) (i32.const 16)))
          (local.set $pd (i32.add (local.get $pd) (i32.const 16)))
          (local.set $pm (i32.add (local.get $pm) (i32.const 16)))
          (local.set $pg (i32.add (local.get $pg) (i32.const 16)))
          (br $cloop)))
        ;; past the window's right column
        (local.set $px (i32.add (local.get $px) (local.get $cb)))
        (local.set $pd (i32.add (local.get $pd) (local.get $cb)))
        (br $wloop)))
      ;; past the band's bottom row
      (local.set $px (i32.add (local.get $px) (local.get $row)))
      (local.set $pd (i32.add (local.get $pd) (local.get $row)))
      (local.set $bands (i32.sub (local.get $bands) (i32.const 1)))
      (br $bloop)))
  )
