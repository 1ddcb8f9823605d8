/**
 * The gradient check: on a small batch, for a sample of the parameters of every layer with
 * weights, the gradient backprop computes against the central difference
 * (L(w+h) − L(w−h)) / 2h of the spec's own loss.
 *
 * tfjs has no float64 on the wasm and cpu backends, so everything is float32 and the step
 * and tolerance match it: with h = 1e-2 a float32 loss's rounding (~1e-7 relative) and the
 * truncation error (h²·f'''/6) of the smooth activations stay small; on the presets and every
 * layer type of the palette the largest relative error measured is 1e-2 or less, most below
 * 1e-3. A relative error |a−b| / max(|a|, |b|, floor) above 2e-2 fails; the floor stands for
 * the float32 noise of the difference quotient, so that parameters whose gradient is zero or
 * nearly so are not judged on noise. A broken gradient (2×, the wrong sign, a missing term)
 * gives relative errors of 0.3 to 2 on the parameters with the largest gradients, which the
 * sample always includes.
 *
 * ReLU units, max-pool winners and MAE's |x| are kinks: a difference across one measures the
 * mean of two slopes, not the gradient. Where a unit changes side at +h or −h (compared with
 * the unperturbed weights) the derivative is taken one-sided on the clean side, else again
 * with h/10 and h/100; a parameter with kinks on both sides even then is skipped and counted.
 *
 * The network is the spec's, freshly initialised from the seed, in training mode (batch
 * normalisation uses the batch's statistics, as training does) with dropout off: the loss
 * must be one function of the weights, evaluated three times.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradcheckLayer, GradcheckParameter, GradcheckReport } from '@contract/gradcheck';
import type { Spec } from '@contract/spec';
import { inferShapes } from '@contract/specShapes';
import { Network, type NetLayer } from '../training/network';
import { computeLoss, type TargetInfo } from '../training/losses';
import { SpecError } from '../training/trainer';
import { mulberry32, shuffleInPlace, type TrainingData } from '../training/trainingData';
import { kinkPattern } from './gradcheckKinks';
import { gradcheckFindings } from './gradcheckFinding';
import { central, noiseFloor, oneSided, relativeError, type DifferenceMethod } from './gradcheckDifference';

export const GRADCHECK_DEFAULTS = {
  samples: 8,
  h: 1e-2,
  tolerance: 2e-2,
  /** Parameters compared per variable (kernel, bias, gamma, beta). */
  perVariable: 6,
} as const;

export interface GradcheckOptions {
  seed?: number;
  samples?: number;
  h?: number;
  tolerance?: number;
  perVariable?: number;
  backend?: string;
  onProgress?: (done: number, total: number, layer: string | null) => void;
  /**
   * Replaces a layer's output in every forward pass: the test seam through which a custom op
   * with a deliberately broken gradient enters the network.
   */
  transform?: (layer: NetLayer, output: tf.Tensor) => tf.Tensor;
}

interface Target {
  layer: NetLayer;
  role: string;
  variable: tf.Variable;
  values: Float32Array;
  gradient: Float32Array;
  /** Flat indices to try, best first; `want` of them are compared. */
  candidates: number[];
  want: number;
}

/** The `count` indices of the largest |g|, largest first, in one pass. */
function largest(gradient: Float32Array, count: number): number[] {
  const top: number[] = [];
  let threshold = -1;
  for (let i = 0; i < gradient.length; i++) {
    const a = Math.abs(gradient[i]!);
    if (top.length === count && a <= threshold) continue;
    let at = top.length;
    while (at > 0 && Math.abs(gradient[top[at - 1]!]!) < a) at--;
    top.splice(at, 0, i);
    if (top.length > count) top.pop();
    threshold = top.length === count ? Math.abs(gradient[top[top.length - 1]!]!) : -1;
  }
  return top;
}

/**
 * Candidates for one variable: the largest gradients first (where a wrong gradient shows
 * most), interleaved with seeded random ones (so small gradients are tried too), each once.
 */
function candidatesFor(gradient: Float32Array, want: number, random: () => number): number[] {
  // Each candidate that straddles kinks costs up to nine forward passes: try a few spare ones only.
  const pool = Math.min(gradient.length, 2 * want + 2);
  const big = largest(gradient, pool);
  const picked = new Set<number>();
  const order: number[] = [];
  for (let k = 0; order.length < pool && k < 2 * pool; k++) {
    const index = k % 2 === 0 ? big[k >> 1] : Math.floor(random() * gradient.length);
    if (index === undefined || picked.has(index)) continue;
    picked.add(index);
    order.push(index);
  }
  return order;
}

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The spec as the check runs it: dropout off, initialised from the check's seed. */
function checkedSpec(spec: Spec, seed: number): Spec {
  return {
    ...spec,
    training: { ...spec.training, seed },
    model: { layers: spec.model.layers.map((layer) => (layer.type === 'dropout' ? { ...layer, rate: 0 } : layer)) },
  };
}

/** Runs the check; resolves with the per-layer report and a finding for every failing layer. */
export async function runGradientCheck(spec: Spec, data: TrainingData, options: GradcheckOptions = {}): Promise<GradcheckReport> {
  const started = performance.now();
  const seed = options.seed ?? spec.training.seed;
  const h = options.h ?? GRADCHECK_DEFAULTS.h;
  const tolerance = options.tolerance ?? GRADCHECK_DEFAULTS.tolerance;
  const perVariable = options.perVariable ?? GRADCHECK_DEFAULTS.perVariable;
  const target: TargetInfo = { task: data.task, outputs: data.outputs };
  const checked = checkedSpec(spec, seed);
  const shapes = inferShapes(checked, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
  if (shapes.issues.length > 0) throw new SpecError(shapes.issues);
  if (data.train.count === 0) throw new SpecError([{ path: 'dataset', message: 'the training split is empty: the gradient check needs samples' }]);

  const network = Network.build(checked, shapes);
  const random = mulberry32(seed ^ 0x67c4);
  const n = Math.min(options.samples ?? GRADCHECK_DEFAULTS.samples, data.train.count);
  const order = shuffleInPlace(Int32Array.from({ length: data.train.count }, (_, i) => i), random).subarray(0, n);
  const sampleSize = data.inputShape.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(n * sampleSize);
  const ys = data.task === 'classification' ? new Int32Array(n) : new Float32Array(n * data.outputs);
  data.train.fill(order, xs, ys);
  const x = tf.tensor(xs, [n, ...data.inputShape], 'float32');
  const y = data.task === 'classification' ? tf.tensor1d(ys as Int32Array, 'int32') : tf.tensor2d(ys as Float32Array, [n, data.outputs]);
  const after = options.transform;

  /** The loss and the kink pattern at the weights as they are now; the caller disposes both. */
  const evaluate = (): { loss: tf.Scalar; pattern: tf.Tensor1D } =>
    tf.tidy(() => {
      const capture: tf.Tensor[] = [];
      const prediction = network.forward(x, { training: true, step: 0, capture, ...(after ? { after } : {}) });
      const loss = computeLoss(spec.training.loss, prediction, y, target);
      return { loss, pattern: kinkPattern(network.layers, x, capture, prediction, y, spec.training.loss, target) };
    });

  try {
    const paramLayers = network.layers.filter((l) => l.variables.some((v) => v.trainable));
    const variables = paramLayers.flatMap((l) => l.variables.filter((v) => v.trainable).map((v) => ({ layer: l, role: v.role, variable: v.variable })));
    const { lossValue, gradients } = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const prediction = network.forward(x, { training: true, step: 0, ...(after ? { after } : {}) });
        return computeLoss(spec.training.loss, prediction, y, target);
      }, variables.map((v) => v.variable));
      return { lossValue: value.dataSync()[0]!, gradients: variables.map((v) => grads[v.variable.name]!.dataSync() as Float32Array) };
    });
    if (!Number.isFinite(lossValue)) {
      throw new SpecError([{ path: 'model', message: `the loss on the check's ${n} samples is ${lossValue} before any step: the gradients cannot be compared` }]);
    }
    const base = evaluate();
    const baseLoss = (await base.loss.data())[0]!;
    base.loss.dispose();
    const basePattern = base.pattern;

    const targets: Target[] = variables.map((v, i) => {
      const gradient = gradients[i]!;
      const want = Math.min(perVariable, gradient.length);
      return { layer: v.layer, role: v.role, variable: v.variable, values: v.variable.dataSync() as Float32Array, gradient, candidates: candidatesFor(gradient, want, random), want };
    });
    const total = targets.reduce((sum, t) => sum + t.want, 0);
    let done = 0;
    let lastReport = 0;
    const progress = (layer: string | null, force = false): void => {
      const now = performance.now();
      if (!force && now - lastReport < 100) return;
      lastReport = now;
      options.onProgress?.(done, total, layer);
    };
    progress(null, true);

    /** The loss with one weight set to `value`, and whether any kink changed side from the base weights. */
    const lossAt = async (t: Target, values: Float32Array, index: number, value: number): Promise<{ loss: number; kinked: boolean }> => {
      const saved = values[index]!;
      values[index] = value;
      const tensor = tf.tensor(values, t.variable.shape, 'float32');
      values[index] = saved;
      t.variable.assign(tensor);
      tensor.dispose();
      const { loss, pattern } = evaluate();
      const packed = tf.tidy(() => tf.stack([loss, tf.sum(tf.cast(tf.notEqual(pattern, basePattern), 'float32'))]));
      const [lossValue, changed] = (await packed.data()) as Float32Array;
      tf.dispose([packed, loss, pattern]);
      return { loss: lossValue!, kinked: changed! > 0 };
    };

    /**
     * The numeric derivative at one weight: central where no kink lies within ±h, one-sided
     * on the side without one, else again with h/10 (twice at most); null when every try
     * straddled a kink.
     */
    const measure = async (t: Target, values: Float32Array, index: number): Promise<{ numeric: number; floor: number; h: number; method: DifferenceMethod } | null> => {
      const w = values[index]!;
      for (let step = h, tries = 0; tries < 3; tries++, step /= 10) {
        const plus = Math.fround(w + step);
        const minus = Math.fround(w - step);
        const up = await lossAt(t, values, index, plus);
        const down = await lossAt(t, values, index, minus);
        if (!up.kinked && !down.kinked) {
          const d = central(plus, up.loss, minus, down.loss);
          return { numeric: d.value, floor: noiseFloor(baseLoss, d.noiseGain, tolerance), h: step, method: 'central' };
        }
        if (up.kinked && down.kinked) continue;
        const method: DifferenceMethod = up.kinked ? 'backward' : 'forward';
        const far = up.kinked ? { at: minus, loss: down.loss } : { at: plus, loss: up.loss };
        const halfAt = Math.fround(w + (far.at - w) / 2);
        const half = await lossAt(t, values, index, halfAt);
        if (half.kinked) continue;
        const d = oneSided(w, baseLoss, halfAt, half.loss, far.at, far.loss);
        return { numeric: d.value, floor: noiseFloor(baseLoss, d.noiseGain, tolerance), h: step, method };
      }
      return null;
    };

    const results = new Map<NetLayer, { params: GradcheckParameter[]; skipped: number }>();
    try {
      for (const t of targets) {
        const entry = results.get(t.layer) ?? { params: [], skipped: 0 };
        results.set(t.layer, entry);
        const values = Float32Array.from(t.values);
        let compared = 0;
        let skipped = 0;
        for (const index of t.candidates) {
          // A variable whose every weight moves some unit across a kink (a first conv layer
          // over many pixels) would cost nine forward passes per try: give up after `want`.
          if (compared === t.want || skipped === t.want) break;
          const measured = await measure(t, values, index);
          if (!measured) {
            entry.skipped++;
            skipped++;
            continue;
          }
          const analytic = t.gradient[index]!;
          const { numeric, floor, h: step, method } = measured;
          entry.params.push({ role: t.role, index, analytic, numeric, relError: relativeError(analytic, numeric, floor), h: step, method });
          compared++;
          done++;
          progress(t.layer.name);
        }
        // Kinks left fewer than `want` comparable parameters: the rest are done too.
        done += t.want - compared;
        const restore = tf.tensor(t.values, t.variable.shape, 'float32');
        t.variable.assign(restore);
        restore.dispose();
        progress(t.layer.name);
      }
    } finally {
      basePattern.dispose();
    }
    progress(null, true);

    const layers: GradcheckLayer[] = paramLayers.map((layer) => {
      const { params, skipped } = results.get(layer) ?? { params: [], skipped: 0 };
      const errors = params.map((p) => p.relError);
      const worst = params.reduce<GradcheckParameter | null>((w, p) => (w === null || p.relError > w.relError ? p : w), null);
      const maxRelError = worst?.relError ?? null;
      return {
        index: layer.index,
        name: layer.name,
        type: layer.spec.type,
        params: layer.variables.filter((v) => v.trainable).reduce((sum, v) => sum + v.variable.size, 0),
        checked: params.length,
        skipped,
        maxRelError,
        medianRelError: median(errors),
        passed: maxRelError === null ? null : maxRelError <= tolerance,
        worst,
      };
    });
    const report: Omit<GradcheckReport, 'findings' | 'passed' | 'seconds'> = {
      specName: spec.name ?? null,
      backend: options.backend ?? tf.getBackend(),
      seed,
      samples: n,
      dtype: 'float32',
      h,
      tolerance,
      floor: noiseFloor(baseLoss, 1 / h, tolerance),
      layers,
    };
    const findings = gradcheckFindings(report);
    return { ...report, passed: layers.every((l) => l.passed !== false), findings, seconds: (performance.now() - started) / 1000 };
  } finally {
    x.dispose();
    y.dispose();
    network.dispose();
  }
}
