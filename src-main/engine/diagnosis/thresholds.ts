/**
 * Every threshold the detectors decide on, in one place, with its default and where that
 * comes from. "DESIGN" means the defaults table of DESIGN.md's diagnosis vocabulary; the rest
 * are choices made here so that the healthy presets (mnist-mlp, mnist-cnn, xor) raise no
 * warning while the three situations do. Override any of them with a partial object.
 */

export interface Thresholds {
  // dead-units ----------------------------------------------------------------------------
  /** A unit is dead when the fraction of probe samples where it outputs > 0 is at most this. DESIGN: 0 on every sample. */
  deadActiveMax: number;
  /** Consecutive probes a unit must be dead on before it is reported (one silent probe can be chance). */
  deadMinProbes: number;
  /**
   * A warning once this fraction of the layer is dead, or when at most `deadWarnAlive` units
   * are left alive (relu-abs: one of three dead fails the fit). Fewer are info: a wide layer
   * fed by non-negative features (ReLU conv maps, pixels) starts with a fifth of its units dead
   * and learns well anyway (mnist-cnn's dense layer: 25 of 128).
   * Corpus (test/fixtures/cases), training seeds 1-5: healthy-spirals-mlp, which fits the
   * spirals every time, loses up to 62 % of its second layer (62, 41, 50, 27, 44 %), so 0.5
   * made warnings of two healthy runs in five; dlrelu-mnist-adam-0.1 (Adam at 0.1, accuracy at
   * chance) loses at least 69 % of its worst layer (81, 69, 81, 75, 84 %), and the other
   * dying-ReLU cases more (cv420006-relu-lr-0.5: 70-100 %, zero and constant init: 100 %);
   * narrow layers keep their warning through `deadWarnAlive` (autotrainer-circle-46edb7df: 2
   * of 5 dead). 0.65 lies in the gap.
   */
  deadWarnFraction: number;
  deadWarnAlive: number;

  // linear-units --------------------------------------------------------------------------
  /** A unit never bends when it is active on at least this fraction of probe samples. DESIGN: 99 %. */
  linearActiveMin: number;
  linearMinProbes: number;
  /**
   * A live unit is nearly linear when fewer than this share of the probe samples lie on the
   * flat side of its hinge (active on more than 1 − it): its hinge sits at the edge of the data,
   * shapes the output on at most that share of it, and the unit is one linear term on the rest.
   * relu-abs seed 13 fails (loss 0.043) with units active on 99.7 % and 96.2 % and a single
   * real hinge. In the final weights of relu-abs seeds 1–40, the units that bend, in failed and
   * successful runs alike, have at least 24 % of the samples on their flat side, the nearly
   * linear ones at most 4 %: 10 % sits between, about 2.5× from each.
   */
  linearBendShare: number;
  /**
   * A warning when at most this many units of the layer bend (neither linear, nearly linear
   * in the sense of `linearBendShare`, nor dead): the layer is then (nearly)
   * a linear map with one crease, which cannot fit a surface that curves in every direction.
   * Otherwise info: a linear unit can be the linear term a fit needs (relu-abs's successful
   * seeds include |x|+|y|-like pyramids made of two hinges and one always-on unit), and
   * always-on filters are common in healthy conv layers.
   */
  linearWarnBending: number;
  /**
   * Fewer always-on units than this are not reported while the layer still has more than
   * `linearWarnBending` units that bend: one always-on unit is how a ReLU layer hands a linear
   * term on to a single output (relu-abs seeds 1, 2 and 12 succeed that way, and five more
   * have one early in training before it finds its hinge). From two up, info: their linear
   * terms add up before a single output sees them, so all but one may be spare.
   */
  linearReportMin: number;

  // duplicate-units -----------------------------------------------------------------------
  /** Cosine of two units' incoming weights and bias at or above which they count as one unit. DESIGN: 0.99. */
  duplicateCosine: number;
  /** Consecutive weight observations (snapshots, or the probe's 2-D surface) a pair must stay duplicate. */
  duplicateMinObservations: number;
  /**
   * Units lost to duplication (units − distinct features) at or above this share of the layer
   * make a warning, fewer are info. With 2-D inputs a unit is a 3-vector, and 16 of them
   * trained on three blobs settle four or five onto the same two or three boundaries, harmlessly;
   * in relu-abs one pair of 3 loses a third of the layer and the fit fails.
   */
  duplicateWarnFraction: number;
  /**
   * ...and only while fewer than this many distinct units are left: a layer that still has
   * this many different features keeps the capacity duplicates would take away. Corpus: with
   * 2-D inputs, wide layers collapse onto a few directions harmlessly: healthy-spirals-mlp
   * (64 → 40 distinct, fits 100 %), the AutoTrainer blob demos (50 → 14 and 15 distinct, whose
   * bug is the loss); the duplicates that hurt leave 1–3 (relu-abs: 3 → 2,
   * mlds-constant-init-dying-relu: 10 → 1, so48221692-sigmoid-regression: 5 → 3).
   */
  duplicateWarnDistinct: number;
  /** Skip a layer when units² / 2 × fan-in exceeds this many multiply-adds (~0.1 s of JS): wide layers rarely collapse. */
  duplicateMaxWork: number;

  // saturated-units -----------------------------------------------------------------------
  /**
   * A sigmoid/tanh unit is saturated when it is within 1 % of an asymptote (the trainer's
   * measurement) on at least this fraction of probe samples. DESIGN: 95 %.
   */
  saturatedFraction: number;
  saturatedMinProbes: number;
  saturatedWarnFraction: number;

  // vanishing-gradient --------------------------------------------------------------------
  /** A layer's gradient norm below this fraction of the largest layer's. DESIGN: 1e-4. */
  vanishingRatio: number;
  /** ...or below this absolute value. DESIGN: 1e-8. */
  vanishingAbsolute: number;
  /** Steps the condition is judged over. DESIGN: "a sustained window". */
  vanishingWindow: number;
  /**
   * Share of the window's steps the condition must hold on (and its median must meet it):
   * an unbroken streak missed a textbook case whose first layer sat at ~2.5e-5 of the largest
   * layer's gradient for the whole run, with noise crossing 1e-4 now and then.
   */
  vanishingShare: number;
  /** The absolute test applies only while the loss is above this: at a near-perfect fit small gradients are right. */
  vanishingMinLoss: number;
  /**
   * A global gradient norm below this fraction of its early median means the run sits at a
   * critical point (a minimum, good or bad, or a saddle), where every gradient is small by
   * nature and Adam's second moment, still remembering the early gradients, shrinks every
   * update: converged relu-abs seeds update by 1e-8 of their weights. The absolute vanishing
   * test and unchanged-weights say nothing there; dead units or a plateau say why it stopped.
   */
  convergedFraction: number;

  // exploding-gradient --------------------------------------------------------------------
  /** Global gradient norm above this multiple of its early median. DESIGN: 1e3. */
  explodingFactor: number;
  /** Finite steps whose median is "early" (at least 3 are needed before the test runs). */
  explodingEarlySteps: number;
  /** ...or growth by this factor within `explodingWindow` steps. DESIGN: "orders of magnitude within a window". */
  explodingGrowth: number;
  explodingWindow: number;
  /**
   * The loss must have risen to this multiple of its early median (or of its value at the
   * window's smallest gradient): gradients that grow while the loss falls are learning
   * kicking in (deep-cnn-plateau), not exploding.
   */
  explodingLossRise: number;
  /**
   * The growth rule's scale floor: the gradient must end above this multiple of its early
   * median, and the loss must rise by at least `explodingLossFloor` of its early median. A
   * healthy run converging to loss 1e-5 saw its gradient grow 2000× from 3e-4 with neither.
   */
  explodingGrowthFloor: number;
  explodingLossFloor: number;

  // plateau -------------------------------------------------------------------------------
  /** Steps averaged into one point of the loss curve the plateau detector reads. */
  plateauBlockSteps: number;
  /** "Within a small band": every block mean within ± this fraction of the segment's mean. */
  plateauBand: number;
  /** Steps a flat segment must last. */
  plateauMinSteps: number;
  /** "Far above its later minimum": learning has resumed once the loss is this fraction below the plateau. */
  plateauDrop: number;
  /** A plateau at the loss of random guessing (ln K for cross-entropy) within this fraction is reported while it lasts. */
  plateauChanceBand: number;
  /** ...as is one where the accuracy is at most this multiple of 1/K. */
  plateauChanceAccuracy: number;

  // oscillating-loss ----------------------------------------------------------------------
  /** Steps looked at. */
  oscillationWindow: number;
  /** Steps averaged per point for mini-batch training (full-batch training reads every step). */
  oscillationBlockSteps: number;
  /** Full-batch training: share of consecutive steps where the direction flips. */
  oscillationChanges: number;
  /**
   * Mini-batch training: the variance of the means of `oscillationBlockSteps` consecutive
   * steps, about their trend, at least this multiple of what independent batches give
   * (within-block variance / k). For batch noise the ratio is an F statistic with about
   * (window/k − 2, window − window/k) degrees of freedom: with 120 steps in blocks of 5,
   * (22, 96), whose 99.99th percentile is about 3; 5 leaves batch noise at any batch size out.
   */
  oscillationNoiseRatio: number;
  /**
   * Either training: a lag-1 autocorrelation of the step losses (detrended) at or below minus
   * this means each step undoes the last, the period-2 bounce of a step too large. Batch noise
   * gives 0 ± 1/√window (±0.09 over 120 steps): 0.5 is more than five of those.
   */
  oscillationAnticorrelation: number;
  /**
   * Median swing between consecutive points, as a fraction of the early loss: mini-batch noise
   * late in training is large relative to the loss then, but small against where it started.
   */
  oscillationSwing: number;
  /** The window's last third must not be this fraction below its first third (then it is still learning). */
  oscillationTrendFall: number;

  // diverging-loss ------------------------------------------------------------------------
  /** Loss blocks (of `plateauBlockSteps`) looked at. */
  divergingBlocks: number;
  /** Share of those block-to-block moves that go up. */
  divergingRises: number;
  /** The last block must be at least this multiple of the lowest block so far. */
  divergingFactor: number;

  // unchanged-weights ---------------------------------------------------------------------
  /** ‖Δw‖/‖w‖ per step below this. DESIGN: 1e-7. */
  unchangedRatio: number;
  unchangedWindow: number;

  // overfitting ---------------------------------------------------------------------------
  /** Validation loss at least this fraction above its minimum. */
  overfitRise: number;
  /**
   * Epochs since the minimum, and the number of most recent epochs that must all stay above
   * it (by half of `overfitRise`) with their median above it by all of it: the rise must be
   * sustained. Two epochs were not enough: a healthy 16-ReLU MLP on 150 rows rose 1.151 → 1.31
   * over two epochs and then fell to 0.433.
   */
  overfitPatience: number;
  /** Training loss at least this fraction below its value at the validation minimum ("while training loss falls"). */
  overfitTrainFall: number;
  /** A warning (not info) once validation accuracy has dropped this much from its best... */
  overfitAccuracyDrop: number;
  /** ...or, without accuracy, once validation loss is this fraction above its minimum. */
  overfitWarnRise: number;
  /**
   * ...and, with accuracy, once validation loss is this fraction above its minimum (sustained,
   * as above) however the accuracy rounds: the held-out outputs grow confidently wrong. The
   * corpus's tf-tutorial-overfit-bigger-model (two 512-unit layers on 400 rows) goes from 0.030
   * to 0.068 by epoch 57 (+127 %) while validation accuracy slips 1.2 points, under
   * `overfitAccuracyDrop` (+121 % and +123 % on training seeds 2 and 3). The breast-cancer
   * baseline trained on past its best epoch (150 epochs instead of 60) rises +50 % on seed 2
   * (0.051 → 0.077, accuracy one sample off its best: info) and +100 % on seed 3 (a warning:
   * it does overfit there; the healthy case now stops at 60). 0.5 would have made the mild
   * one a warning too.
   */
  overfitWarnRiseWithAccuracy: number;

  // lifecycle -----------------------------------------------------------------------------
  /**
   * Steps a series finding's evidence must fail on, in a row, before it counts as resolved
   * (rounded up to whole loss blocks): one calm block in a noisy run is not a recovery.
   */
  resolveSteps: number;

  // unnormalized-input --------------------------------------------------------------------
  /** Largest |input| the network should see. DESIGN: "far from the unit range (0–255 pixels, say)". */
  inputMaxAbs: number;
  /** Inputs all smaller than this in magnitude are reported as info (they scale every first-layer gradient down). */
  inputTinyAbs: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  deadActiveMax: 0,
  deadMinProbes: 2,
  deadWarnFraction: 0.65,
  deadWarnAlive: 3,

  linearActiveMin: 0.99,
  linearMinProbes: 2,
  linearBendShare: 0.1,
  linearWarnBending: 1,
  linearReportMin: 2,

  duplicateCosine: 0.99,
  duplicateMinObservations: 2,
  duplicateWarnFraction: 0.3,
  duplicateWarnDistinct: 8,
  duplicateMaxWork: 1e8,

  saturatedFraction: 0.95,
  saturatedMinProbes: 2,
  saturatedWarnFraction: 0.1,

  vanishingRatio: 1e-4,
  vanishingAbsolute: 1e-8,
  vanishingWindow: 100,
  vanishingShare: 0.8,
  vanishingMinLoss: 1e-3,
  convergedFraction: 1e-3,

  explodingFactor: 1e3,
  explodingEarlySteps: 10,
  explodingGrowth: 1e3,
  explodingWindow: 20,
  explodingLossRise: 1.1,
  explodingGrowthFloor: 1,
  explodingLossFloor: 0.1,

  plateauBlockSteps: 10,
  plateauBand: 0.02,
  plateauMinSteps: 200,
  plateauDrop: 0.3,
  plateauChanceBand: 0.05,
  plateauChanceAccuracy: 1.5,

  oscillationWindow: 120,
  oscillationBlockSteps: 5,
  oscillationChanges: 0.6,
  oscillationNoiseRatio: 5,
  oscillationAnticorrelation: 0.5,
  oscillationSwing: 0.2,
  oscillationTrendFall: 0.1,

  divergingBlocks: 8,
  divergingRises: 0.75,
  divergingFactor: 2,

  unchangedRatio: 1e-7,
  unchangedWindow: 50,

  overfitRise: 0.1,
  overfitPatience: 5,
  overfitTrainFall: 0.02,
  overfitAccuracyDrop: 0.02,
  overfitWarnRise: 0.5,
  overfitWarnRiseWithAccuracy: 1,

  resolveSteps: 50,

  inputMaxAbs: 10,
  inputTinyAbs: 1e-2,
});

/** The defaults with `overrides` applied; refuses unknown names and non-finite values, naming them. */
export function resolveThresholds(overrides: Partial<Thresholds> = {}): Thresholds {
  const resolved: Thresholds = { ...DEFAULT_THRESHOLDS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_THRESHOLDS, name)) throw new Error(`unknown diagnosis threshold "${name}"`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`diagnosis threshold "${name}" must be a finite number ≥ 0, got ${String(value)}`);
    resolved[name as keyof Thresholds] = value;
  }
  return resolved;
}
