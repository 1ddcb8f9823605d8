;; Trainbench's own WebAssembly SIMD kernels, run on the tfjs wasm backend's heap.
;;
;; The module imports the wasm backend's memory, so its kernels read and write tensors where
;; the backend keeps them: every pointer below is a byte offset into that heap (the backend's
;; getMemoryOffset). Plain f32x4 arithmetic (multiply, then add: wasm SIMD has no fused
;; multiply-add), so results are the same on every machine that runs wasm SIMD.
;;
;; Compiled to kernelsBinary.ts by `npm run build:simd` (wabt); a unit test checks that the
;; committed binary is this source's.
(module
  (import "env" "memory" (memory 1))

  ;; gemmRuns: out[T, N] = Σ over runs Σ_(k < len) A[aOff + rows[t] + k·aK] · B[bOff + k·bK + col], the
  ;; conv2d filter gradient without an im2col: A is the padded input, a row t of the product
  ;; (filter tap i, j and input channel) is a byte offset rows[t] into it, and a run (aOff, bOff,
  ;; len: three int32 at $runs + 12·run) is one output row of one sample: its len positions step
  ;; through the input by aK bytes (the stride) and through dy [.., N] by bK bytes. float32,
  ;; byte offsets, N % 4 == 0, out overwritten. Tiles of 2 rows × 16 (then 4) columns keep their
  ;; accumulators in registers over a block of $block runs (whose input and dy stay in L2), then
  ;; add them into out; an odd last row pairs with itself and is stored once. The sum's order
  ;; depends on the runs and $block only.
  (func (export "gemmRuns")
        (param $a i32) (param $rows i32) (param $t i32) (param $aK i32)
        (param $b i32) (param $bK i32) (param $n i32)
        (param $out i32) (param $runs i32) (param $nRuns i32) (param $block i32)
    (local $r0 i32) (local $r1 i32) (local $rp i32) (local $rq i32) (local $ro0 i32) (local $ro1 i32)
    (local $c i32) (local $run i32) (local $pr i32) (local $kk i32)
    (local $pa0 i32) (local $pa1 i32) (local $pb i32) (local $po i32)
    (local $x0 v128) (local $x1 v128) (local $bv v128)
    (local $a00 v128) (local $a01 v128) (local $a02 v128) (local $a03 v128)
    (local $a10 v128) (local $a11 v128) (local $a12 v128) (local $a13 v128)
    (memory.fill (local.get $out) (i32.const 0) (i32.mul (i32.mul (local.get $t) (local.get $n)) (i32.const 4)))
    (local.set $r0 (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_u (local.get $r0) (local.get $nRuns)))
      (local.set $r1 (i32.add (local.get $r0) (local.get $block)))
      (if (i32.gt_u (local.get $r1) (local.get $nRuns)) (then (local.set $r1 (local.get $nRuns))))
      (local.set $rp (i32.const 0))
      (block $pdone (loop $ploop
        (br_if $pdone (i32.ge_u (local.get $rp) (local.get $t)))
        (local.set $rq (i32.add (local.get $rp) (i32.const 1)))
        (if (i32.ge_u (local.get $rq) (local.get $t)) (then (local.set $rq (local.get $rp))))
        (local.set $ro0 (i32.load (i32.add (local.get $rows) (i32.shl (local.get $rp) (i32.const 2)))))
        (local.set $ro1 (i32.load (i32.add (local.get $rows) (i32.shl (local.get $rq) (i32.const 2)))))
        (local.set $c (i32.const 0))
        (block $wdone (loop $wloop
          (br_if $wdone (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $n)))
          (local.set $a00 (v128.const i32x4 0 0 0 0)) (local.set $a01 (v128.const i32x4 0 0 0 0)) (local.set $a02 (v128.const i32x4 0 0 0 0)) (local.set $a03 (v128.const i32x4 0 0 0 0)) (local.set $a10 (v128.const i32x4 0 0 0 0)) (local.set $a11 (v128.const i32x4 0 0 0 0)) (local.set $a12 (v128.const i32x4 0 0 0 0)) (local.set $a13 (v128.const i32x4 0 0 0 0))
          (local.set $run (local.get $r0))
          (block $wrdone (loop $wrloop
            (br_if $wrdone (i32.ge_u (local.get $run) (local.get $r1)))
            (local.set $pr (i32.add (local.get $runs) (i32.mul (local.get $run) (i32.const 12))))
            (local.set $pa0 (i32.add (i32.add (local.get $a) (i32.load (local.get $pr))) (local.get $ro0)))
            (local.set $pa1 (i32.add (i32.add (local.get $a) (i32.load (local.get $pr))) (local.get $ro1)))
            (local.set $pb (i32.add (i32.add (local.get $b) (i32.load offset=4 (local.get $pr))) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $kk (i32.load offset=8 (local.get $pr)))
            (block $wkdone (loop $wkloop
              (br_if $wkdone (i32.eqz (local.get $kk)))
                (local.set $x0 (v128.load32_splat (local.get $pa0)))
                (local.set $x1 (v128.load32_splat (local.get $pa1)))
                (local.set $bv (v128.load (local.get $pb)))
                (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $bv (v128.load offset=16 (local.get $pb)))
                (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $bv (v128.load offset=32 (local.get $pb)))
                (local.set $a02 (f32x4.add (local.get $a02) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a12 (f32x4.add (local.get $a12) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $bv (v128.load offset=48 (local.get $pb)))
                (local.set $a03 (f32x4.add (local.get $a03) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a13 (f32x4.add (local.get $a13) (f32x4.mul (local.get $x1) (local.get $bv))))
              (local.set $pa0 (i32.add (local.get $pa0) (local.get $aK)))
              (local.set $pa1 (i32.add (local.get $pa1) (local.get $aK)))
              (local.set $pb (i32.add (local.get $pb) (local.get $bK)))
              (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
              (br $wkloop)))
            (local.set $run (i32.add (local.get $run) (i32.const 1)))
            (br $wrloop)))
          (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $rp) (local.get $n)) (local.get $c)) (i32.const 2))))
          (v128.store (local.get $po) (f32x4.add (v128.load (local.get $po)) (local.get $a00)))
          (v128.store offset=16 (local.get $po) (f32x4.add (v128.load offset=16 (local.get $po)) (local.get $a01)))
          (v128.store offset=32 (local.get $po) (f32x4.add (v128.load offset=32 (local.get $po)) (local.get $a02)))
          (v128.store offset=48 (local.get $po) (f32x4.add (v128.load offset=48 (local.get $po)) (local.get $a03)))
          (if (i32.ne (local.get $rq) (local.get $rp)) (then
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $rq) (local.get $n)) (local.get $c)) (i32.const 2))))
            (v128.store (local.get $po) (f32x4.add (v128.load (local.get $po)) (local.get $a10)))
            (v128.store offset=16 (local.get $po) (f32x4.add (v128.load offset=16 (local.get $po)) (local.get $a11)))
            (v128.store offset=32 (local.get $po) (f32x4.add (v128.load offset=32 (local.get $po)) (local.get $a12)))
            (v128.store offset=48 (local.get $po) (f32x4.add (v128.load offset=48 (local.get $po)) (local.get $a13)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $wloop)))
        (block $vdone (loop $vloop
          (br_if $vdone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $n)))
          (local.set $a00 (v128.const i32x4 0 0 0 0)) (local.set $a10 (v128.const i32x4 0 0 0 0))
          (local.set $run (local.get $r0))
          (block $vrdone (loop $vrloop
            (br_if $vrdone (i32.ge_u (local.get $run) (local.get $r1)))
            (local.set $pr (i32.add (local.get $runs) (i32.mul (local.get $run) (i32.const 12))))
            (local.set $pa0 (i32.add (i32.add (local.get $a) (i32.load (local.get $pr))) (local.get $ro0)))
            (local.set $pa1 (i32.add (i32.add (local.get $a) (i32.load (local.get $pr))) (local.get $ro1)))
            (local.set $pb (i32.add (i32.add (local.get $b) (i32.load offset=4 (local.get $pr))) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $kk (i32.load offset=8 (local.get $pr)))
            (block $vkdone (loop $vkloop
              (br_if $vkdone (i32.eqz (local.get $kk)))
                (local.set $x0 (v128.load32_splat (local.get $pa0)))
                (local.set $x1 (v128.load32_splat (local.get $pa1)))
                (local.set $bv (v128.load (local.get $pb)))
                (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x1) (local.get $bv))))
              (local.set $pa0 (i32.add (local.get $pa0) (local.get $aK)))
              (local.set $pa1 (i32.add (local.get $pa1) (local.get $aK)))
              (local.set $pb (i32.add (local.get $pb) (local.get $bK)))
              (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
              (br $vkloop)))
            (local.set $run (i32.add (local.get $run) (i32.const 1)))
            (br $vrloop)))
          (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $rp) (local.get $n)) (local.get $c)) (i32.const 2))))
          (v128.store (local.get $po) (f32x4.add (v128.load (local.get $po)) (local.get $a00)))
          (if (i32.ne (local.get $rq) (local.get $rp)) (then
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $rq) (local.get $n)) (local.get $c)) (i32.const 2))))
            (v128.store (local.get $po) (f32x4.add (v128.load (local.get $po)) (local.get $a10)))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $vloop)))
        (local.set $rp (i32.add (local.get $rp) (i32.const 2)))
        (br $ploop)))
      (local.set $r0 (local.get $r1))
      (br $bloop)))
  )

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
)
