/**
 * One run's measurements as the monitor keeps them: columns that grow in place (never an
 * object per step), the probes' per-layer fractions as series, a thinned history of per-unit
 * probe statistics, and the engine's per-layer histograms as they arrive. Plain TypeScript, kept out of
 * Vue's reactivity (the store marks it raw and bumps a revision counter instead).
 */
import type {
  MemoryReadout,
  EpochSummary,
  EventOf,
  HistogramKind,
  HistogramSet,
  JobInfo,
  JobStatus,
  NonFiniteReport,
  ProbeLayer,
  ProbeResult,
  RunFinal,
  StepPoint,
  Surface,
  TensorHistogram as WireHistogram,
} from '@contract';
import { Column, Series, Smoother } from './series';
import type { Histogram } from './histogram';
import { layerFractions } from './unitState';

export type RunStatus = JobStatus | 'queued' | 'starting';

/** Per-unit statistics of the shown layers at one probe. */
export interface ProbeRecord {
  step: number;
  epoch: number;
  layers: ProbeLayer[];
}

/** A layer's dead or saturated fraction at every probe. */
export interface ProbeTrack {
  layer: string;
  kind: 'dead' | 'saturated';
  series: Series;
}

export interface TensorHistogram {
  kind: HistogramKind;
  role: string;
  shape: number[];
  hist: Histogram;
}

/** One train.histograms event, kept for the time slider. */
export interface HistogramRecord {
  step: number;
  epoch: number;
  reason: HistogramSet['reason'];
  /** Per layer name: its histograms (weights, biases, their gradients, its output on the probe batch). */
  layers: Map<string, TensorHistogram[]>;
}

/** The contract's histogram as the canvas draws it. */
export function toHistogram(h: WireHistogram): Histogram {
  return { min: h.min, max: h.max, counts: Uint32Array.from(h.counts), total: h.total, nonFinite: h.nonFinite, zeros: h.zeros, mean: h.mean ?? Number.NaN, std: h.std ?? Number.NaN };
}

/** Layer types whose outputs are units worth a cell in the unit map. */
const UNIT_LAYER_TYPES = new Set(['dense', 'conv2d', 'activation', 'batchNormalization']);

/** Bounds on the kept history: enough for a slider, bounded for a week-long run. */
const MAX_PROBE_RECORDS = 600;
const MAX_HISTOGRAM_SETS = 240;

/** Removes every second element of the older half: the history stays even, just coarser. */
function thin<T>(list: T[]): void {
  const half = Math.floor(list.length / 2);
  const kept: T[] = [];
  for (let i = 0; i < half; i += 2) kept.push(list[i]!);
  list.splice(0, half, ...kept);
}

export class RunData {
  job: JobInfo | null = null;
  status: RunStatus = 'queued';
  error: string | null = null;
  final: RunFinal | null = null;
  nonFinite: NonFiniteReport | null = null;
  /** Page clock (ms, performance.timeOrigin-based) when train.start was sent and answered. */
  requestedAt = 0;
  respondedAt = 0;
  /**
   * Page clock when the job's first train.status (running) arrived. The engine sends it the
   * moment the job starts, before the first step's work, so it is the tightest anchor of the
   * engine's clock (StepPoint.time) on the page's: late only by the event's one-way trip.
   */
  startSeenAt = 0;
  /** The engine's memory at the latest update that said (engines before the field do not). */
  memory: MemoryReadout | null = null;

  readonly steps = new Column(1024);
  /** Engine time of each step's end, ms since the job started. */
  readonly times = new Column(1024);
  readonly loss = new Series(1024);
  readonly accuracy = new Series(1024);
  readonly gradNorm = new Series(1024);
  readonly lossSmooth = new Series(1024);
  readonly accuracySmooth = new Series(1024);
  readonly layerGrad: Series[] = [];
  readonly layerWeight: Series[] = [];
  readonly layerRatio: Series[] = [];
  readonly epochs: EpochSummary[] = [];
  /**
   * The epochs with a validation loss, and with a validation accuracy, kept as they arrive:
   * a full-batch run has an epoch per step (relu-abs: 100,000), too many to filter per frame.
   */
  readonly valLossEpochs: EpochSummary[] = [];
  readonly valAccuracyEpochs: EpochSummary[] = [];

  readonly probeSteps = new Column(64);
  readonly tracks: ProbeTrack[] = [];
  readonly probes: ProbeRecord[] = [];
  latestProbe: ProbeResult | null = null;
  surface: Surface | null = null;
  readonly histograms: HistogramRecord[] = [];

  /** Bumped on every change: components redraw when it moves. */
  revision = 0;
  private smoothing = 0.6;
  private lossSmoother = new Smoother(0.6);
  private accuracySmoother = new Smoother(0.6);

  constructor(
    readonly id: string,
    readonly index: number,
    readonly seed: number,
    readonly colour: string,
    readonly label: string,
    readonly synthetic = false,
  ) {}

  get jobId(): string | null {
    return this.job?.jobId ?? null;
  }

  get count(): number {
    return this.steps.length;
  }

  get totalSteps(): number | null {
    return this.job ? this.job.stepsPerEpoch * this.job.epochs : null;
  }

  get ended(): boolean {
    return this.status === 'done' || this.status === 'stopped' || this.status === 'failed';
  }

  setJob(job: JobInfo): void {
    this.job = job;
    const n = job.parameterLayers.length;
    while (this.layerGrad.length < n) {
      this.layerGrad.push(new Series(1024));
      this.layerWeight.push(new Series(1024));
      this.layerRatio.push(new Series(1024));
    }
    this.revision++;
  }

  /** Names of the layers shown as units: dense, conv, activation and batch-norm layers. */
  unitLayers(): Set<string> {
    return new Set((this.job?.layers ?? []).filter((l) => UNIT_LAYER_TYPES.has(l.type)).map((l) => l.name));
  }

  addPoint(p: StepPoint): void {
    this.steps.push(p.step);
    this.times.push(p.time);
    this.loss.push(p.loss);
    this.accuracy.push(p.accuracy);
    this.gradNorm.push(p.gradNorm);
    this.lossSmooth.push(this.lossSmoother.next(p.loss ?? Number.NaN));
    this.accuracySmooth.push(this.accuracySmoother.next(p.accuracy ?? Number.NaN));
    for (let l = 0; l < this.layerGrad.length; l++) {
      this.layerGrad[l]!.push(p.layerGradNorms[l] ?? null);
      this.layerWeight[l]!.push(p.layerWeightNorms[l] ?? null);
      this.layerRatio[l]!.push(p.layerUpdateRatios[l] ?? null);
    }
  }

  /** Appends one train.update's steps, epochs and probe. */
  append(update: EventOf<'train.update'>): void {
    for (const point of update.points) this.addPoint(point);
    for (const summary of update.epochs) {
      this.epochs.push(summary);
      if (summary.valLoss !== null) this.valLossEpochs.push(summary);
      if (summary.valAccuracy !== null) this.valAccuracyEpochs.push(summary);
    }
    for (const probe of update.probes) this.addProbe(probe);
    if (update.memory) this.memory = update.memory;
    this.revision++;
  }

  addProbe(probe: ProbeResult): void {
    this.latestProbe = probe;
    if (probe.surface) this.surface = probe.surface;
    this.probeSteps.push(probe.step);
    for (const layer of probe.layers) {
      const { dead, saturated } = layerFractions(layer);
      if (dead !== null) this.track(layer.name, 'dead').push(dead);
      if (saturated !== null) this.track(layer.name, 'saturated').push(saturated);
    }
    const shown = this.unitLayers();
    this.probes.push({ step: probe.step, epoch: probe.epoch, layers: probe.layers.filter((l) => shown.has(l.name)) });
    if (this.probes.length > MAX_PROBE_RECORDS) thin(this.probes);
  }

  private track(layer: string, kind: 'dead' | 'saturated'): Series {
    let found = this.tracks.find((t) => t.layer === layer && t.kind === kind);
    if (!found) {
      found = { layer, kind, series: new Series(64) };
      // A layer that appears late (it never does today) starts with gaps, aligned with probeSteps.
      for (let i = 0; i < this.probeSteps.length - 1; i++) found.series.push(null);
      this.tracks.push(found);
    }
    return found.series;
  }

  /** Keeps a set of the engine's histograms, layers the monitor shows only. */
  addHistograms(set: HistogramSet): void {
    const shown = this.unitLayers();
    const weighted = new Set(this.job?.parameterLayers ?? []);
    const layers: HistogramRecord['layers'] = new Map();
    for (const t of set.tensors) {
      if (!shown.has(t.layer) && !weighted.has(t.layer)) continue;
      let list = layers.get(t.layer);
      if (!list) layers.set(t.layer, (list = []));
      list.push({ kind: t.kind, role: t.role, shape: t.shape, hist: toHistogram(t) });
    }
    const record: HistogramRecord = { step: set.step, epoch: set.epoch, reason: set.reason, layers };
    const last = this.histograms.at(-1);
    if (last && last.step === record.step) this.histograms[this.histograms.length - 1] = record;
    else this.histograms.push(record);
    if (this.histograms.length > MAX_HISTOGRAM_SETS) thin(this.histograms);
    this.revision++;
  }

  /** Recomputes the smoothed curves for a new smoothing weight in [0, 1). */
  setSmoothing(weight: number): void {
    if (weight === this.smoothing) return;
    this.smoothing = weight;
    this.lossSmoother = new Smoother(weight);
    this.accuracySmoother = new Smoother(weight);
    this.lossSmooth.clear();
    this.accuracySmooth.clear();
    for (let i = 0; i < this.loss.length; i++) {
      this.lossSmooth.push(this.lossSmoother.next(this.loss.at(i)));
      this.accuracySmooth.push(this.accuracySmoother.next(this.accuracy.at(i)));
    }
    this.revision++;
  }

  /**
   * Speed over the last `windowMs` of engine time: steps and samples a second, and the mean
   * time of a step (probes and epoch ends included). Null until two steps are in.
   */
  rate(windowMs = 2000): { stepsPerSecond: number; samplesPerSecond: number; stepMs: number } | null {
    const n = this.times.length;
    if (n < 2 || !this.job) return null;
    const end = this.times.at(n - 1);
    const from = Math.min(n - 2, this.times.lowerBound(end - windowMs));
    const dt = end - this.times.at(from);
    const ds = this.steps.at(n - 1) - this.steps.at(from);
    if (dt <= 0 || ds <= 0) return null;
    const stepsPerSecond = (ds * 1000) / dt;
    return { stepsPerSecond, samplesPerSecond: stepsPerSecond * this.job.batchSize, stepMs: dt / ds };
  }

  /** The step of the last point, or -1. */
  lastStep(): number {
    return this.steps.length > 0 ? this.steps.at(this.steps.length - 1) : -1;
  }
}
