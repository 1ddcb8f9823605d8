/**
 * What the detectors share: the run's layers as the detectors see them, per-unit streaks,
 * number and unit formatting for messages, and the spec changes that suggestions offer.
 * Plain data and pure functions; no tfjs.
 */
import type { JobInfo, Layer, Spec, StepPoint } from '@contract';
import type { Thresholds } from './thresholds';
import { RELU_FAMILY, SATURATING, type Activation, type Initializer } from '@contract/spec';
import type { Suggestion } from '@contract/findings';

/** One layer of the run: JobInfo's view, with the spec layer it was built from. */
export interface LayerRef {
  /** Index in the spec's `model.layers` (and in JobInfo.layers). */
  index: number;
  name: string;
  type: string;
  activation: string;
  outputShape: number[];
  /** The last dense/conv layer and what follows it: their units are the outputs, not hidden features. */
  isOutput: boolean;
  spec: Layer | undefined;
}

export interface DetectorContext {
  spec: Spec;
  layers: LayerRef[];
  /** Layers with trainable weights, in forward order: aligned with StepPoint's per-layer arrays. */
  parameterLayers: LayerRef[];
  /** The network's output width. */
  outputs: number;
  /** Classes when the run is a classification (cross-entropy loss, or accuracy reported); null otherwise. */
  classes: number | null;
  /** One step per epoch over the whole training split: the loss is not noisy. */
  fullBatch: boolean;
  /** Samples in the probe batch. */
  probeSamples: number;
  /**
   * A regression's target range when the output activation cannot reach it (the static
   * loss-mismatch said so); then the output layer is watched for saturation too. Null otherwise.
   */
  unreachableTargets: { min: number; max: number } | null;
}

const WEIGHTED = new Set(['dense', 'conv2d']);

/** The detectors' view of a run, from its spec and the JobInfo the trainer announced. */
export function makeContext(spec: Spec, job: JobInfo): DetectorContext {
  let lastWeighted = -1;
  for (const l of job.layers) if (WEIGHTED.has(l.type)) lastWeighted = Math.max(lastWeighted, l.index);
  const layers: LayerRef[] = job.layers.map((l) => ({
    index: l.index,
    name: l.name,
    type: l.type,
    activation: l.activation,
    outputShape: l.outputShape,
    isOutput: lastWeighted >= 0 && l.index >= lastWeighted,
    spec: spec.model.layers[l.index],
  }));
  const byName = new Map(layers.map((l) => [l.name, l]));
  const parameterLayers = job.parameterLayers.map(
    (name, i): LayerRef => byName.get(name) ?? { index: i, name, type: 'unknown', activation: 'linear', outputShape: [], isOutput: false, spec: undefined },
  );
  const last = job.layers[job.layers.length - 1];
  const outputs = last?.outputShape[last.outputShape.length - 1] ?? 1;
  const loss = spec.training.loss.type;
  const crossEntropy = loss === 'sparseCategoricalCrossentropy' || loss === 'categoricalCrossentropy' || loss === 'binaryCrossentropy';
  return {
    spec,
    layers,
    parameterLayers,
    outputs,
    classes: crossEntropy ? Math.max(2, outputs) : null,
    fullBatch: job.batchSize >= job.trainCount,
    probeSamples: Math.min(spec.monitor.probeSize, job.trainCount),
    unreachableTargets: null,
  };
}

export const isReluFamily = (activation: string): boolean => (RELU_FAMILY as readonly string[]).includes(activation);
export const isSaturating = (activation: string): boolean => (SATURATING as readonly string[]).includes(activation);

// -------------------------------------------------------------------------------------------
// Streaks: since when a per-unit (or per-layer) condition has held without a break
// -------------------------------------------------------------------------------------------

export interface UnitStreaks {
  /** Per unit: the step of the first observation of the current streak, or -1 when the condition does not hold now. */
  since: Int32Array;
  sinceEpoch: Int32Array;
  /** Per unit: consecutive observations the condition has held on (0 when it does not hold). */
  count: Int32Array;
}

/** The streaks after one more observation at `step`, where `holds(u)` says whether unit u meets the condition. */
export function advanceStreaks(previous: UnitStreaks | null, units: number, holds: (unit: number) => boolean, step: number, epoch: number): UnitStreaks {
  const same = previous !== null && previous.count.length === units;
  const next: UnitStreaks = { since: new Int32Array(units), sinceEpoch: new Int32Array(units), count: new Int32Array(units) };
  for (let u = 0; u < units; u++) {
    if (!holds(u)) {
      next.since[u] = -1;
      continue;
    }
    const before = same ? previous.count[u]! : 0;
    next.count[u] = before + 1;
    next.since[u] = before > 0 && same ? previous.since[u]! : step;
    next.sinceEpoch[u] = before > 0 && same ? previous.sinceEpoch[u]! : epoch;
  }
  return next;
}

/** Units whose streak has lasted at least `minimum` observations, with the earliest start among them. */
export function persistentUnits(streaks: UnitStreaks, minimum: number): { units: number[]; since: number; sinceEpoch: number } {
  const units: number[] = [];
  let since = Number.POSITIVE_INFINITY;
  let sinceEpoch = 0;
  for (let u = 0; u < streaks.count.length; u++) {
    if (streaks.count[u]! >= Math.max(1, minimum)) {
      units.push(u);
      if (streaks.since[u]! < since) {
        since = streaks.since[u]!;
        sinceEpoch = streaks.sinceEpoch[u]!;
      }
    }
  }
  return { units, since: Number.isFinite(since) ? since : 0, sinceEpoch };
}

// -------------------------------------------------------------------------------------------
// Words and numbers
// -------------------------------------------------------------------------------------------

/** A number as a person reads it: up to 4 significant digits, exponent form when very small or large. */
export function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e5) return value.toExponential(1).replace('.0e', 'e').replace('e+', 'e');
  return String(Number(value.toPrecision(4)));
}

export const percent = (fraction: number): string => `${fmt(100 * fraction)} %`;

/** "unit 2", "units 0 and 2", "units 0, 1, 2, … (40 in all)". */
export function unitList(units: readonly number[], noun = 'unit'): string {
  if (units.length === 1) return `${noun} ${units[0]}`;
  if (units.length <= 8) return `${noun}s ${units.slice(0, -1).join(', ')} and ${units[units.length - 1]}`;
  return `${noun}s ${units.slice(0, 6).join(', ')}, … (${units.length} in all)`;
}

/** How the units of a layer are called: filters for convolutions, units otherwise. */
export const unitNoun = (layer: LayerRef): string => (layer.type === 'conv2d' ? 'filter' : 'unit');

/** "ReLUs", "ReLU filters", "tanh units", "sigmoid unit". */
export function unitsCalled(layer: LayerRef, count: number): string {
  const plural = count === 1 ? '' : 's';
  if (layer.activation === 'relu' && layer.type !== 'conv2d') return `ReLU${plural}`;
  return `${layer.activation === 'relu' ? 'ReLU' : layer.activation} ${unitNoun(layer)}${plural}`;
}

/** "the 1000 probe samples", "the 256 probe samples at every position" for convolutions. */
export function probeWords(layer: LayerRef, samples: number): string {
  return layer.outputShape.length > 1 ? `the ${samples} probe samples at every position` : `the ${samples} probe samples`;
}

export const layerPath = (layer: { index: number }): string => `model.layers.${layer.index}`;

/** Median of the finite values, or null when there are none. */
export function median(values: readonly (number | null)[]): number | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

export interface EarlyBaseline {
  /** Medians of the first finite steps' gradient norm and loss. */
  gradNorm: number;
  loss: number;
  /** How many steps they were taken over. */
  steps: number;
}

/** Medians over the first `explodingEarlySteps` steps with a finite loss and gradient; null before 3 such steps. */
export function earlyBaseline(points: readonly StepPoint[], t: Pick<Thresholds, 'explodingEarlySteps'>): EarlyBaseline | null {
  const usable = points.filter((p) => p.gradNorm !== null && p.loss !== null).slice(0, Math.max(3, t.explodingEarlySteps));
  if (usable.length < 3) return null;
  return { gradNorm: median(usable.map((p) => p.gradNorm)) ?? 0, loss: median(usable.map((p) => p.loss)) ?? 0, steps: usable.length };
}

/** Whether a step's global gradient has collapsed to where the run sits at a critical point. */
export const atCriticalPoint = (gradNorm: number | null, early: EarlyBaseline | null | undefined, t: Pick<Thresholds, 'convergedFraction'>): boolean =>
  early !== null && early !== undefined && gradNorm !== null && early.gradNorm > 0 && gradNorm < t.convergedFraction * early.gradNorm;

/** Finite numbers only, for evidence arrays. */
export const finiteOnly = (values: readonly (number | null)[]): number[] => values.filter((v): v is number => v !== null && Number.isFinite(v));

// -------------------------------------------------------------------------------------------
// Suggestions: changes to the spec, by field path
// -------------------------------------------------------------------------------------------

/** Weighted (dense/conv) spec layers with their index. */
function weightedLayers(spec: Spec): { index: number; layer: Extract<Layer, { type: 'dense' | 'conv2d' }> }[] {
  const out: { index: number; layer: Extract<Layer, { type: 'dense' | 'conv2d' }> }[] = [];
  spec.model.layers.forEach((layer, index) => {
    if (layer.type === 'dense' || layer.type === 'conv2d') out.push({ index, layer });
  });
  return out;
}

const initName = (init: Initializer): string => (typeof init === 'string' ? init : init.type);

/** The initializer that suits an activation: He for the ReLU family, Glorot otherwise. */
export const initFor = (activation: Activation | string): 'heNormal' | 'glorotUniform' => (isReluFamily(activation) ? 'heNormal' : 'glorotUniform');

/**
 * He (ReLU family) or Glorot initialisation for every weighted layer (or only those at the
 * spec indices in `only`) not already using it, and zero biases where they are drawn at
 * random; null when nothing would change. `where` names the layer in the label.
 */
export function initSuggestion(spec: Spec, only?: readonly number[], where?: string): Suggestion | null {
  const set: Record<string, unknown> = {};
  const kinds = new Set<string>();
  let biases = false;
  for (const { index, layer } of weightedLayers(spec)) {
    if (only && !only.includes(index)) continue;
    const wanted = initFor(layer.activation);
    if (initName(layer.kernelInitializer) !== wanted) {
      set[`model.layers.${index}.kernelInitializer`] = wanted;
      kinds.add(wanted === 'heNormal' ? 'He' : 'Glorot');
    }
    if (layer.useBias && initName(layer.biasInitializer) !== 'zeros') {
      set[`model.layers.${index}.biasInitializer`] = 'zeros';
      biases = true;
    }
  }
  if (Object.keys(set).length === 0) return null;
  const parts = [kinds.size > 0 ? `${[...kinds].sort().reverse().join('/')} initialisation` : null, biases ? 'zero biases' : null].filter((p): p is string => p !== null);
  const label = parts.join(' and ');
  return { label: `${label.charAt(0).toUpperCase()}${label.slice(1)}${where ? ` in ${where}` : ''}`, set };
}

/** Batch normalisation after every hidden dense/conv layer that lacks it; null when all have it. */
export function batchNormSuggestion(spec: Spec): Suggestion | null {
  const layers = spec.model.layers;
  const weighted = weightedLayers(spec);
  const lastWeighted = weighted[weighted.length - 1]?.index ?? -1;
  const next: Layer[] = [];
  let added = 0;
  layers.forEach((layer, index) => {
    next.push(layer);
    if ((layer.type === 'dense' || layer.type === 'conv2d') && index !== lastWeighted && layers[index + 1]?.type !== 'batchNormalization') {
      next.push({ type: 'batchNormalization', momentum: 0.99, epsilon: 1e-3 });
      added++;
    }
  });
  if (added === 0) return null;
  return { label: `Add batch normalisation after ${added === 1 ? 'the hidden layer' : `the ${added} hidden layers`}`, set: { 'model.layers': next } };
}

const roundLr = (value: number): number => Number(Math.min(100, value).toPrecision(2));

/** The learning rate times `factor`, with the word for it. */
export function learningRateSuggestion(spec: Spec, factor: number): Suggestion {
  const lr = spec.training.optimizer.learningRate;
  const value = roundLr(lr * factor);
  return { label: `${factor > 1 ? 'Raise' : 'Lower'} the learning rate to ${fmt(value)} (from ${fmt(lr)})`, set: { 'training.optimizer.learningRate': value } };
}

/** Clip the global gradient norm (to 1, or to half the current clip). */
export function clipSuggestion(spec: Spec): Suggestion {
  const clip = spec.training.clipNorm;
  const value = clip === undefined ? 1 : Number((clip / 2).toPrecision(2));
  return { label: `Clip the gradient norm to ${fmt(value)}`, set: { 'training.clipNorm': value } };
}

/** Normalised inputs: ÷255 when the values look like pixels, standardised otherwise; null when already normalised. */
export function normalizeSuggestion(spec: Spec, range?: { min: number; max: number }): Suggestion | null {
  if (spec.normalization !== 'none') return null;
  const pixels = range ? range.min >= 0 && range.max <= 255 && range.max > 1 : false;
  return pixels
    ? { label: 'Scale inputs to 0–1 (÷255)', set: { normalization: 'divide255' } }
    : { label: 'Standardise inputs (zero mean, unit variance)', set: { normalization: 'standardize' } };
}

/** Index of the spec layer whose activation produces the output (a trailing activation layer, else the last dense/conv). */
export function outputActivationIndex(spec: Spec): number | null {
  const layers = spec.model.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.type === 'activation' || layer.type === 'dense' || layer.type === 'conv2d') return i;
    if (layer.type !== 'dropout') return null;
  }
  return null;
}

/**
 * Cross-entropy computed from logits: a linear output and the loss that applies softmax
 * (or sigmoid for one output) itself, which stays finite and keeps its gradient where a
 * saturated softmax would not.
 */
export function logitsSuggestion(spec: Spec, outputs: number): Suggestion {
  const set: Record<string, unknown> = {
    'training.loss': outputs === 1 ? { type: 'binaryCrossentropy', fromLogits: true } : { type: 'sparseCategoricalCrossentropy', fromLogits: true },
  };
  const layers = spec.model.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.type === 'activation' || layer.type === 'dense' || layer.type === 'conv2d') {
      if (layer.activation !== 'linear') set[`model.layers.${i}.activation`] = 'linear';
      if (layer.type !== 'activation') break;
    } else if (layer.type !== 'dropout') break;
  }
  const what = outputs === 1 ? 'binary' : 'softmax';
  return { label: `Use ${what} cross-entropy from logits (linear output)`, set };
}

/** Another draw of the initial weights: small networks succeed or fail by the draw. */
export function seedSuggestion(spec: Spec): Suggestion {
  return { label: `Try another seed (${spec.training.seed + 1})`, set: { 'training.seed': spec.training.seed + 1 } };
}

/** Layers this narrow lose a large share of their capacity to each dead, duplicate or linear unit. */
export const NARROW_LAYER = 16;

/**
 * More units in a layer: four times as many in a narrow layer (≤ 16), twice otherwise.
 * Measured on relu-abs seeds 1–40 (24 fail with 3 units): 6 units fix 20 of the 24 failures,
 * 8 fix 22, 12 and 16 fix all 24 (leakyRelu at α 0.2 fixes 5, He initialisation few): a
 * spare unit or two for every one that dies or doubles up is what makes the fit reliable.
 */
export function widenSuggestion(layer: LayerRef): Suggestion | null {
  const spec = layer.spec;
  if (!spec || (spec.type !== 'dense' && spec.type !== 'conv2d')) return null;
  const now = spec.type === 'dense' ? spec.units : spec.filters;
  const field = spec.type === 'dense' ? 'units' : 'filters';
  const wider = now * (now <= NARROW_LAYER ? 4 : 2);
  return { label: `Give ${layer.name} ${wider} ${field} (from ${now})`, set: { [`${layerPath(layer)}.${field}`]: wider } };
}

/** Spec layers whose kernel initialiser draws weights much smaller than He/Glorot would for their fan-in. */
export function smallInitLayers(spec: Spec, job: { layers: readonly { index: number; outputShape: readonly number[] }[] }): { index: number; ratio: number }[] {
  const small: { index: number; ratio: number }[] = [];
  for (const { index, layer } of weightedLayers(spec)) {
    const before = job.layers.find((l) => l.index === index - 1);
    let fanIn: number | null = null;
    if (layer.type === 'dense' && before) fanIn = before.outputShape.reduce((a, b) => a * b, 1);
    if (layer.type === 'conv2d' && before) {
      const [kh, kw] = Array.isArray(layer.kernelSize) ? layer.kernelSize : [layer.kernelSize, layer.kernelSize];
      fanIn = kh * kw * (before.outputShape[before.outputShape.length - 1] ?? 1);
    }
    if (fanIn === null || fanIn <= 0) continue;
    const init = layer.kernelInitializer;
    let std: number | null = null;
    if (typeof init === 'object' && init.type === 'randomNormal') std = (init as { stddev: number }).stddev;
    if (typeof init === 'object' && init.type === 'randomUniform') {
      const u = init as { min: number; max: number };
      std = (u.max - u.min) / Math.sqrt(12);
    }
    if (std === null) continue;
    const wanted = Math.sqrt((isReluFamily(layer.activation) ? 2 : 1) / fanIn);
    if (std < 0.25 * wanted) small.push({ index, ratio: std / wanted });
  }
  return small;
}

/** One layer's per-unit probe statistic at one probe, with the streaks of a detector's condition up to it. */
export interface UnitObservation {
  layer: LayerRef;
  /** The probe's step and epoch. */
  step: number;
  epoch: number;
  /** Per unit: the fraction of probe samples the condition is judged on (active, or saturated). */
  fraction: ArrayLike<number>;
  /** Streaks of the detector's per-unit condition, this probe included. */
  streaks: UnitStreaks;
}

/** Severity of a finding about some units of a layer: a warning from `warnFraction` of the layer up. */
export const unitSeverity = (count: number, total: number, warnFraction: number): 'info' | 'warning' => (total > 0 && count / total >= warnFraction ? 'warning' : 'info');
