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
)
