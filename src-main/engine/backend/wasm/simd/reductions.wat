;; Sums: sumRows (bias gradients), sumSquares and squaresAndDistance (the step's norms) (a part of Trainbench's SIMD kernel module: see module.wat).

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
