;; Trainbench's own WebAssembly SIMD kernels, run on the tfjs wasm backend's heap.
;;
;; The module imports the wasm backend's memory, so its kernels read and write tensors where
;; the backend keeps them: every pointer below is a byte offset into that heap (the backend's
;; getMemoryOffset). Plain f32x4 arithmetic (multiply, then add: wasm SIMD has no fused
;; multiply-add; sumRows adds in f64x2), so results are the same on every machine that runs
;; wasm SIMD.
;;
;; Compiled to kernelsBinary.ts by `npm run build:simd` (wabt); a unit test checks that the
;; committed binary is this source's.
(module
  (import "env" "memory" (memory 1))

  ;; convRuns: the forward convolution out[p, col] = Σ_(tap < taps) Σ_(ch < C) A[aOff + q·aK + rows[tap] + 4·ch] ·
  ;; W[tap·C + ch, col], for every position q < len of every run (aOff, outOff, len: three int32
  ;; at $runs + 12·run; the output position p is at outOff + q·N·4): A is the padded input,
  ;; rows[tap] the byte offset of filter tap (i, j)'s first input channel, W the filter as
  ;; [taps·C, N] (its own layout [fH, fW, C, oC]). A caller may also pass one row per tap and
  ;; channel with C = 1 (faster for one or few input channels: the channel loop costs more than
  ;; a row's offset). float32, byte offsets, C ≥ 1, N % 4 == 0, out overwritten. Tiles of 2
  ;; positions × 16 (then 4) output channels keep their accumulators in registers over the whole
  ;; sum, in the order of tap and channel, starting from the bias [N] at $bias (0: none, from
  ;; zero) as XNNPACK's fused convolution does; with $relu ≠ 0 they are then max(·, 0) (NaN stays
  ;; NaN). An odd last position pairs with itself and is stored once.
  (func (export "convRuns")
        (param $a i32) (param $rows i32) (param $taps i32) (param $c i32) (param $aK i32)
        (param $w i32) (param $n i32) (param $out i32) (param $runs i32) (param $nRuns i32)
        (param $bias i32) (param $relu i32)
    (local $run i32) (local $pr i32) (local $ra i32) (local $ro i32) (local $len i32) (local $rowOut i32)
    (local $col i32) (local $q i32) (local $tap i32) (local $kk i32) (local $off i32)
    (local $pa0 i32) (local $pa1 i32) (local $pp0 i32) (local $pp1 i32) (local $pw i32) (local $po i32)
    (local $x0 v128) (local $x1 v128) (local $bv v128)
    (local $a00 v128) (local $a01 v128) (local $a02 v128) (local $a03 v128)
    (local $a10 v128) (local $a11 v128) (local $a12 v128) (local $a13 v128) (local $zero v128)
    (local.set $zero (v128.const i32x4 0 0 0 0))
    (local.set $rowOut (i32.shl (local.get $n) (i32.const 2)))
    (local.set $run (i32.const 0))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $run) (local.get $nRuns)))
      (local.set $pr (i32.add (local.get $runs) (i32.mul (local.get $run) (i32.const 12))))
      (local.set $ra (i32.add (local.get $a) (i32.load (local.get $pr))))
      (local.set $ro (i32.add (local.get $out) (i32.load offset=4 (local.get $pr))))
      (local.set $len (i32.load offset=8 (local.get $pr)))
      (local.set $col (i32.const 0))
        (block $wdone (loop $wloop
          (br_if $wdone (i32.gt_u (i32.add (local.get $col) (i32.const 16)) (local.get $n)))
          (local.set $q (i32.const 0))
          (block $wqdone (loop $wqloop
            (br_if $wqdone (i32.ge_u (local.get $q) (local.get $len)))
            (local.set $pa0 (i32.add (local.get $ra) (i32.mul (local.get $q) (local.get $aK))))
            (local.set $pa1 (local.get $pa0))
            (if (i32.lt_u (i32.add (local.get $q) (i32.const 1)) (local.get $len)) (then (local.set $pa1 (i32.add (local.get $pa0) (local.get $aK)))))
            (if (local.get $bias)
              (then
                (local.set $a00 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2)))))
                (local.set $a01 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2)))))
                (local.set $a02 (v128.load offset=32 (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2)))))
                (local.set $a03 (v128.load offset=48 (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2))))))
              (else
                (local.set $a00 (v128.const i32x4 0 0 0 0))
                (local.set $a01 (v128.const i32x4 0 0 0 0))
                (local.set $a02 (v128.const i32x4 0 0 0 0))
                (local.set $a03 (v128.const i32x4 0 0 0 0))))
            (local.set $a10 (local.get $a00)) (local.set $a11 (local.get $a01)) (local.set $a12 (local.get $a02)) (local.set $a13 (local.get $a03))
            (local.set $pw (i32.add (local.get $w) (i32.shl (local.get $col) (i32.const 2))))
            (local.set $pr (local.get $rows))
            (local.set $tap (local.get $taps))
            (block $wtdone (loop $wtloop
              (br_if $wtdone (i32.eqz (local.get $tap)))
              (local.set $off (i32.load (local.get $pr)))
              (local.set $pp0 (i32.add (local.get $pa0) (local.get $off)))
              (local.set $pp1 (i32.add (local.get $pa1) (local.get $off)))
              (local.set $kk (local.get $c))
              (block $wkdone (loop $wkloop
                (local.set $x0 (v128.load32_splat (local.get $pp0)))
                (local.set $x1 (v128.load32_splat (local.get $pp1)))
                (local.set $bv (v128.load (local.get $pw)))
                (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $bv (v128.load offset=16 (local.get $pw)))
                (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $bv (v128.load offset=32 (local.get $pw)))
                (local.set $a02 (f32x4.add (local.get $a02) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a12 (f32x4.add (local.get $a12) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $bv (v128.load offset=48 (local.get $pw)))
                (local.set $a03 (f32x4.add (local.get $a03) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a13 (f32x4.add (local.get $a13) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $pp0 (i32.add (local.get $pp0) (i32.const 4)))
                (local.set $pp1 (i32.add (local.get $pp1) (i32.const 4)))
                (local.set $pw (i32.add (local.get $pw) (local.get $rowOut)))
                (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                (br_if $wkloop (local.get $kk))))
              (local.set $pr (i32.add (local.get $pr) (i32.const 4)))
              (local.set $tap (i32.sub (local.get $tap) (i32.const 1)))
              (br $wtloop)))
            (if (local.get $relu)
              (then
                (local.set $a00 (f32x4.max (local.get $a00) (local.get $zero)))
                (local.set $a01 (f32x4.max (local.get $a01) (local.get $zero)))
                (local.set $a02 (f32x4.max (local.get $a02) (local.get $zero)))
                (local.set $a03 (f32x4.max (local.get $a03) (local.get $zero)))
                (local.set $a10 (f32x4.max (local.get $a10) (local.get $zero)))
                (local.set $a11 (f32x4.max (local.get $a11) (local.get $zero)))
                (local.set $a12 (f32x4.max (local.get $a12) (local.get $zero)))
                (local.set $a13 (f32x4.max (local.get $a13) (local.get $zero)))))
            (local.set $po (i32.add (i32.add (local.get $ro) (i32.mul (local.get $q) (local.get $rowOut))) (i32.shl (local.get $col) (i32.const 2))))
              (v128.store (local.get $po) (local.get $a00))
              (v128.store offset=16 (local.get $po) (local.get $a01))
              (v128.store offset=32 (local.get $po) (local.get $a02))
              (v128.store offset=48 (local.get $po) (local.get $a03))
              (if (i32.lt_u (i32.add (local.get $q) (i32.const 1)) (local.get $len)) (then
                (local.set $po (i32.add (local.get $po) (local.get $rowOut)))
                (v128.store (local.get $po) (local.get $a10))
                (v128.store offset=16 (local.get $po) (local.get $a11))
                (v128.store offset=32 (local.get $po) (local.get $a12))
                (v128.store offset=48 (local.get $po) (local.get $a13))))
            (local.set $q (i32.add (local.get $q) (i32.const 2)))
            (br $wqloop)))
          (local.set $col (i32.add (local.get $col) (i32.const 16)))
          (br $wloop)))
        (block $vdone (loop $vloop
          (br_if $vdone (i32.gt_u (i32.add (local.get $col) (i32.const 4)) (local.get $n)))
          (local.set $q (i32.const 0))
          (block $vqdone (loop $vqloop
            (br_if $vqdone (i32.ge_u (local.get $q) (local.get $len)))
            (local.set $pa0 (i32.add (local.get $ra) (i32.mul (local.get $q) (local.get $aK))))
            (local.set $pa1 (local.get $pa0))
            (if (i32.lt_u (i32.add (local.get $q) (i32.const 1)) (local.get $len)) (then (local.set $pa1 (i32.add (local.get $pa0) (local.get $aK)))))
            (if (local.get $bias)
              (then
                (local.set $a00 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2))))))
              (else
                (local.set $a00 (v128.const i32x4 0 0 0 0))))
            (local.set $a10 (local.get $a00))
            (local.set $pw (i32.add (local.get $w) (i32.shl (local.get $col) (i32.const 2))))
            (local.set $pr (local.get $rows))
            (local.set $tap (local.get $taps))
            (block $vtdone (loop $vtloop
              (br_if $vtdone (i32.eqz (local.get $tap)))
              (local.set $off (i32.load (local.get $pr)))
              (local.set $pp0 (i32.add (local.get $pa0) (local.get $off)))
              (local.set $pp1 (i32.add (local.get $pa1) (local.get $off)))
              (local.set $kk (local.get $c))
              (block $vkdone (loop $vkloop
                (local.set $x0 (v128.load32_splat (local.get $pp0)))
                (local.set $x1 (v128.load32_splat (local.get $pp1)))
                (local.set $bv (v128.load (local.get $pw)))
                (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $x0) (local.get $bv))))
                (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x1) (local.get $bv))))
                (local.set $pp0 (i32.add (local.get $pp0) (i32.const 4)))
                (local.set $pp1 (i32.add (local.get $pp1) (i32.const 4)))
                (local.set $pw (i32.add (local.get $pw) (local.get $rowOut)))
                (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                (br_if $vkloop (local.get $kk))))
              (local.set $pr (i32.add (local.get $pr) (i32.const 4)))
              (local.set $tap (i32.sub (local.get $tap) (i32.const 1)))
              (br $vtloop)))
            (if (local.get $relu)
              (then
                (local.set $a00 (f32x4.max (local.get $a00) (local.get $zero)))
                (local.set $a10 (f32x4.max (local.get $a10) (local.get $zero)))))
            (local.set $po (i32.add (i32.add (local.get $ro) (i32.mul (local.get $q) (local.get $rowOut))) (i32.shl (local.get $col) (i32.const 2))))
              (v128.store (local.get $po) (local.get $a00))
              (if (i32.lt_u (i32.add (local.get $q) (i32.const 1)) (local.get $len)) (then
                (local.set $po (i32.add (local.get $po) (local.get $rowOut)))
                (v128.store (local.get $po) (local.get $a10))))
            (local.set $q (i32.add (local.get $q) (i32.const 2)))
            (br $vqloop)))
          (local.set $col (i32.add (local.get $col) (i32.const 4)))
          (br $vloop)))
      (local.set $run (i32.add (local.get $run) (i32.const 1)))
      (br $rloop)))
  )

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

  ;; sumRows: out[col] = Σ_r x[r·cols + col] for x [rows, cols] (the sum over leading axes of
  ;; the bias gradients), accumulated in float64 and rounded to float32 once, in exactly the
  ;; order of reductions.ts's JavaScript loop, so both give the same bits: per column,
  ;; acc += (x0 + x1) + (x2 + x3) for each group of four rows, then acc += x for each row left
  ;; over. Columns go in blocks of $block (a multiple of 4): the block's accumulators, float64 at
  ;; $acc (8·$block bytes of scratch), stay in L1 while four rows at a time stream through them.
  ;; float32 x and out, byte offsets, cols % 4 == 0.
  (func (export "sumRows")
        (param $x i32) (param $rows i32) (param $cols i32) (param $out i32) (param $acc i32) (param $block i32)
    (local $c0 i32) (local $cb i32) (local $stride i32) (local $r i32) (local $p i32) (local $q i32)
    (local $pa i32) (local $end i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $c0 (i32.const 0))
    (block $kdone (loop $kloop
      (br_if $kdone (i32.ge_u (local.get $c0) (local.get $cols)))
      (local.set $cb (i32.sub (local.get $cols) (local.get $c0)))
      (if (i32.gt_u (local.get $cb) (local.get $block)) (then (local.set $cb (local.get $block))))
      (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $cb) (i32.const 3))))
      (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $cb) (i32.const 3)))
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $c0) (i32.const 2))))
      (local.set $r (local.get $rows))
      ;; four rows a pass
      (block $r4done (loop $r4loop
        (br_if $r4done (i32.lt_u (local.get $r) (i32.const 4)))
        (local.set $q (local.get $p))
        (local.set $pa (local.get $acc))
        (block $c4done (loop $c4loop
          (br_if $c4done (i32.ge_u (local.get $pa) (local.get $end)))
          (local.set $v0 (v128.load (local.get $q)))
          (local.set $v1 (v128.load (i32.add (local.get $q) (local.get $stride))))
          (local.set $v2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $stride) (i32.const 1)))))
          (local.set $v3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $stride) (i32.const 3)))))
          ;; columns 0, 1 of the four
          (v128.store (local.get $pa) (f64x2.add (v128.load (local.get $pa))
            (f64x2.add (f64x2.add (f64x2.promote_low_f32x4 (local.get $v0)) (f64x2.promote_low_f32x4 (local.get $v1)))
                       (f64x2.add (f64x2.promote_low_f32x4 (local.get $v2)) (f64x2.promote_low_f32x4 (local.get $v3))))))
          ;; columns 2, 3: the high lanes moved low
          (local.set $v0 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v0) (local.get $v0)))
          (local.set $v1 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v1) (local.get $v1)))
          (local.set $v2 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v2) (local.get $v2)))
          (local.set $v3 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v3) (local.get $v3)))
          (v128.store offset=16 (local.get $pa) (f64x2.add (v128.load offset=16 (local.get $pa))
            (f64x2.add (f64x2.add (f64x2.promote_low_f32x4 (local.get $v0)) (f64x2.promote_low_f32x4 (local.get $v1)))
                       (f64x2.add (f64x2.promote_low_f32x4 (local.get $v2)) (f64x2.promote_low_f32x4 (local.get $v3))))))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
          (br $c4loop)))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $r (i32.sub (local.get $r) (i32.const 4)))
        (br $r4loop)))
      ;; the rows left over, one a pass
      (block $r1done (loop $r1loop
        (br_if $r1done (i32.eqz (local.get $r)))
        (local.set $q (local.get $p))
        (local.set $pa (local.get $acc))
        (block $c1done (loop $c1loop
          (br_if $c1done (i32.ge_u (local.get $pa) (local.get $end)))
          (local.set $v0 (v128.load (local.get $q)))
          (v128.store (local.get $pa) (f64x2.add (v128.load (local.get $pa)) (f64x2.promote_low_f32x4 (local.get $v0))))
          (local.set $v0 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v0) (local.get $v0)))
          (v128.store offset=16 (local.get $pa) (f64x2.add (v128.load offset=16 (local.get $pa)) (f64x2.promote_low_f32x4 (local.get $v0))))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
          (br $c1loop)))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $r1loop)))
      ;; the block's sums, rounded to float32 (two demoted halves joined)
      (local.set $q (i32.add (local.get $out) (i32.shl (local.get $c0) (i32.const 2))))
      (local.set $pa (local.get $acc))
      (block $odone (loop $oloop
        (br_if $odone (i32.ge_u (local.get $pa) (local.get $end)))
        (v128.store (local.get $q)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (v128.load (local.get $pa)))
            (f32x4.demote_f64x2_zero (v128.load offset=16 (local.get $pa)))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
        (br $oloop)))
      (local.set $c0 (i32.add (local.get $c0) (local.get $cb)))
      (br $kloop)))
  )

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

  ;; sumSquares: Σ x² over n float32 at $p, in float64 (each square is exact in float64), eight
  ;; values an iteration into four f64x2 partial sums (a single chain of float64 additions waits
  ;; on each one's latency), then the last n mod 8 one by one. The training step's gradient and
  ;; weight norms (squaredNorms.ts).
  (func (export "sumSquares") (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $w v128) (local $x f64) (local $s f64)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done (loop $more
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $w (v128.load offset=16 (local.get $p)))
      (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4 (local.get $v)))))
      (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
      (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $w)) (f64x2.promote_low_f32x4 (local.get $w)))))
      (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (br $more)))
    (local.set $s0 (f64x2.add (f64x2.add (local.get $s0) (local.get $s1)) (f64x2.add (local.get $s2) (local.get $s3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 2))))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (f64.promote_f32 (f32.load (local.get $p))))
      (local.set $s (f64.add (local.get $s) (f64.mul (local.get $x) (local.get $x))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $tail)))
    (local.get $s))

  ;; squaresAndDistance: Σ a² and Σ (a − b)² over n float32 at $a and $b in one pass, in float64
  ;; (the difference of two float32 in float64 is exact, as in JavaScript), four values an
  ;; iteration into two f64x2 partial sums each, then the last n mod 4 one by one. A layer's
  ;; weight norm and update norm (squaredNorms.ts, pairSquares).
  (func (export "squaresAndDistance") (param $a i32) (param $b i32) (param $n i32) (result f64 f64)
    (local $end i32) (local $lo v128) (local $hi v128) (local $dlo v128) (local $dhi v128) (local $x f64) (local $d f64)
    (local $q0 v128) (local $q1 v128) (local $d0 v128) (local $d1 v128) (local $sq f64) (local $sd f64) (local $v v128) (local $w v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $more
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $v (v128.load (local.get $a)))
      (local.set $w (v128.load (local.get $b)))
      (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
      (local.set $dlo (f64x2.sub (local.get $lo) (f64x2.promote_low_f32x4 (local.get $w))))
      (local.set $dhi (f64x2.sub (local.get $hi) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w)))))
      (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $lo) (local.get $lo))))
      (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $hi) (local.get $hi))))
      (local.set $d0 (f64x2.add (local.get $d0) (f64x2.mul (local.get $dlo) (local.get $dlo))))
      (local.set $d1 (f64x2.add (local.get $d1) (f64x2.mul (local.get $dhi) (local.get $dhi))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $more)))
    (local.set $q0 (f64x2.add (local.get $q0) (local.get $q1)))
    (local.set $d0 (f64x2.add (local.get $d0) (local.get $d1)))
    (local.set $sq (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))))
    (local.set $sd (f64.add (f64x2.extract_lane 0 (local.get $d0)) (f64x2.extract_lane 1 (local.get $d0))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tdone (loop $tail
      (br_if $tdone (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x (f64.promote_f32 (f32.load (local.get $a))))
      (local.set $d (f64.sub (local.get $x) (f64.promote_f32 (f32.load (local.get $b)))))
      (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $x) (local.get $x))))
      (local.set $sd (f64.add (local.get $sd) (f64.mul (local.get $d) (local.get $d))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $tail)))
    (local.get $sq) (local.get $sd))
)
