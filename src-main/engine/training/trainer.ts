/**
 * The instrumented training loop. A hand-written loop rather than model.fit, so that the
 * gradients are in hand every step: each step reads back one small tensor holding the loss,
 * accuracy, global gradient norm and, per parameter layer, the gradient norm, weight norm and
 * update norm. Every K steps a fixed probe batch runs forward with every layer's output
 * captured and reduced on the backend to per-unit statistics. Whole tensors are read back
 * only for snapshots. Every tensor made in a step is disposed in that step.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  BackendName,
  EpochSummary,
  HistogramSet,
  JobInfo,
  JobStatus,
  NonFiniteReport,
  ProbeLayer,
  RunFinal,
  Snapshot,
  Spec,
  StepPoint,
  Surface,
} from '@contract';
import { inferShapes, type ShapeReport } from '@contract/specShapes';
import { Network, type NetLayer } from './network';
import { InputPlane } from './inputPlane';
import { HistogramSchedule, measureHistograms } from './histograms';
import { computeAccuracy, computeLoss, type TargetInfo } from './losses';
import { createOptimizer } from './optimizers';
import { mulberry32, shuffleInPlace, subset, type SampleSet, type TrainingData } from './trainingData';

export interface TrainerEvents {
  onStart?(info: JobInfo): void;
  /** Every step, synchronously: callers batch for clients, detectors see every point. */
  onStep(point: StepPoint): void;
  onEpoch(summary: EpochSummary): void;
  onProbe(step: number, epoch: number, layers: ProbeLayer[], surface: Surface | null): void;
  onSnapshot(snapshot: Snapshot): void;
  /** Per-layer histograms, when HistogramSchedule says (optional: tests and benches may ignore them). */
  onHistograms?(set: HistogramSet): void;
  onNonFinite(report: NonFiniteReport): void;
  onStatus(status: JobStatus, final?: RunFinal, error?: string): void;
}

export class SpecError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

/** Steps of history kept for the non-finite report. */
const HISTORY = 20;

const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

interface Split {
  train: SampleSet;
  validation: SampleSet | null;
}

/**
 * Holds out the last `fraction` of a seeded permutation for validation; with none, the
 * dataset's own test split (MNIST's 2,000 held-out digits, say) validates.
 */
function splitData(data: TrainingData, fraction: number, seed: number): Split {
  if (fraction <= 0) return { train: data.train, validation: data.test ?? null };
  const order = shuffleInPlace(Int32Array.from({ length: data.train.count }, (_, i) => i), mulberry32(seed ^ 0x5eed));
  const held = Math.max(1, Math.round(data.train.count * fraction));
  return { train: subset(data.train, order.subarray(0, order.length - held)), validation: subset(data.train, order.subarray(order.length - held)) };
}

export class Trainer {
  readonly jobId: string;
  readonly info: JobInfo;
  private readonly network: Network;
  private readonly optimizer: tf.Optimizer;
  private readonly report: ShapeReport;
  private readonly target: TargetInfo;
  private readonly split: Split;
  private readonly batchSize: number;
  private readonly sampleSize: number;
  private readonly paramLayers: NetLayer[];
  private statusValue: JobStatus = 'running';
  private stopRequested = false;
  private resumeWaiter: (() => void) | null = null;
  private step = 0;
  private epoch = 0;
  private probe: { x: tf.Tensor; y: tf.Tensor; count: number } | null = null;
  private readonly gradHistory: (number | null)[] = [];
  private readonly lossHistory: (number | null)[] = [];
  private lastEpoch: EpochSummary | null = null;
  private nonFiniteSeen = false;
  /** For 2-D inputs: the grid the output and first-layer surfaces are drawn on. */
  private readonly plane: InputPlane | null;

  constructor(
    jobId: string,
    private readonly spec: Spec,
    private readonly data: TrainingData,
    backend: BackendName,
    private readonly events: TrainerEvents,
    /**
     * Bare training: the loss only, no norms, probes or snapshots. Exists so that the
     * benchmark can state what the instrumentation costs; the app always instruments.
     */
    private readonly bare = false,
  ) {
    this.jobId = jobId;
    this.target = { task: data.task, outputs: data.outputs };
    this.report = inferShapes(spec, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
    if (this.report.issues.length > 0) throw new SpecError(this.report.issues);
    this.split = splitData(data, spec.training.validationSplit, spec.training.seed);
    if (this.split.train.count === 0) throw new SpecError([{ path: 'dataset', message: 'the training split is empty' }]);
    this.batchSize = spec.training.batchSize === 'full' ? this.split.train.count : Math.min(spec.training.batchSize, this.split.train.count);
    this.sampleSize = data.inputShape.reduce((a, b) => a * b, 1);
    this.network = Network.build(spec, this.report);
    this.plane = data.inputShape.length === 1 && data.inputShape[0] === 2 ? new InputPlane() : null;
    this.optimizer = createOptimizer(spec.training.optimizer);
    this.paramLayers = this.network.layers.filter((l) => l.variables.some((v) => v.trainable));
    const stepsPerEpoch = Math.ceil(this.split.train.count / this.batchSize);
    this.info = {
      jobId,
      backend,
      layers: this.report.layers.map((l) => ({
        index: l.index,
        name: l.name,
        type: l.type,
        activation: this.network.layers.find((n) => n.index === l.index)?.activation ?? 'linear',
        outputShape: l.outputShape,
        params: l.params,
      })),
      parameterLayers: this.paramLayers.map((l) => l.name),
      trainCount: this.split.train.count,
      valCount: this.split.validation?.count ?? 0,
      batchSize: this.batchSize,
      stepsPerEpoch,
      epochs: spec.training.epochs,
      totalParams: this.report.totalParams,
      startedAt: Date.now(),
    };
  }

  get status(): JobStatus {
    return this.statusValue;
  }

  pause(): JobStatus {
    if (this.statusValue === 'running') this.setStatus('paused');
    return this.statusValue;
  }

  resume(): JobStatus {
    if (this.statusValue === 'paused') {
      this.setStatus('running');
      this.wake();
    }
    return this.statusValue;
  }

  /** Stops after the step in flight. */
  stop(): JobStatus {
    this.stopRequested = true;
    this.wake();
    return this.statusValue;
  }

  private wake(): void {
    this.resumeWaiter?.();
    this.resumeWaiter = null;
  }

  private setStatus(status: JobStatus, final?: RunFinal, error?: string): void {
    this.statusValue = status;
    this.events.onStatus(status, final, error);
  }

  /** Makes a float32 batch of the given sample indices. */
  private batch(set: SampleSet, indices: ArrayLike<number>): { x: tf.Tensor; y: tf.Tensor } {
    const n = indices.length;
    const x = new Float32Array(n * this.sampleSize);
    const y = this.target.task === 'classification' ? new Int32Array(n) : new Float32Array(n * this.target.outputs);
    set.fill(indices, x, y);
    return {
      x: tf.tensor(x, [n, ...this.data.inputShape], 'float32'),
      y: this.target.task === 'classification' ? tf.tensor1d(y as Int32Array, 'int32') : tf.tensor2d(y as Float32Array, [n, this.target.outputs]),
    };
  }

  /** Runs to the end; resolves when done, stopped or failed. Never rejects. */
  async run(): Promise<void> {
    const { training, monitor } = this.spec;
    // StepPoint.time counts from the startedAt the job announced.
    const started = performance.now() - (Date.now() - this.info.startedAt);
    const random = mulberry32(training.seed);
    const order = Int32Array.from({ length: this.split.train.count }, (_, i) => i);
    let lastStats: { loss: number | null; accuracy: number | null } = { loss: null, accuracy: null };
    let samples = 0;
    let stoppedOnNonFinite = false;
    this.setStatus('running');
    this.events.onStart?.(this.info);
    try {
      this.probe = this.makeProbe();
      const histograms = new HistogramSchedule(monitor.snapshotEvery);
      if (!this.bare) await this.histograms(histograms);
      outer: for (this.epoch = 0; this.epoch < training.epochs; this.epoch++) {
        if (training.shuffle) shuffleInPlace(order, random);
        let epochLoss = 0;
        let epochAccuracy = 0;
        let epochSeen = 0;
        for (let start = 0; start < order.length; start += this.batchSize) {
          if (this.statusValue === 'paused') {
            await new Promise<void>((resolve) => (this.resumeWaiter = resolve));
          }
          if (this.stopRequested) break outer;
          const indices = order.subarray(start, Math.min(start + this.batchSize, order.length));
          const stats = this.bare ? await this.bareStep(indices) : await this.trainStep(indices, started);
          samples += indices.length;
          lastStats = stats;
          if (stats.loss !== null) epochLoss += stats.loss * indices.length;
          if (stats.accuracy !== null) epochAccuracy += stats.accuracy * indices.length;
          epochSeen += indices.length;
          if (stats.nonFinite && monitor.onNonFinite === 'stop') {
            stoppedOnNonFinite = true;
            break outer;
          }
          if (!this.bare && this.step % monitor.probeEvery === 0) await this.runProbe();
          if (!this.bare && monitor.snapshotEvery > 0 && this.step % monitor.snapshotEvery === 0) this.events.onSnapshot(await this.snapshot());
          if (!this.bare) await this.histograms(histograms);
          // Let requests (pause, stop, info) in between steps.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const validation = this.split.validation ? await this.evaluate(this.split.validation) : null;
        this.lastEpoch = {
          epoch: this.epoch,
          step: this.step,
          loss: epochSeen > 0 && Number.isFinite(epochLoss) ? epochLoss / epochSeen : null,
          accuracy: this.target.task === 'classification' && epochSeen > 0 ? epochAccuracy / epochSeen : null,
          valLoss: validation?.loss ?? null,
          valAccuracy: validation?.accuracy ?? null,
          time: performance.now() - started,
        };
        this.events.onEpoch(this.lastEpoch);
      }
      const seconds = (performance.now() - started) / 1000;
      const final: RunFinal = {
        steps: this.step,
        epochs: this.lastEpoch ? this.lastEpoch.epoch + 1 : 0,
        loss: this.lastEpoch?.loss ?? lastStats.loss,
        accuracy: this.lastEpoch?.accuracy ?? lastStats.accuracy,
        valLoss: this.lastEpoch?.valLoss ?? null,
        valAccuracy: this.lastEpoch?.valAccuracy ?? null,
        seconds,
        samplesPerSecond: seconds > 0 ? samples / seconds : 0,
        success: null,
      };
      if (stoppedOnNonFinite) final.loss = null;
      final.success = this.judge(final);
      // The end state is always probed, whatever probeEvery.
      if (!this.bare && this.step % monitor.probeEvery !== 0) await this.runProbe();
      this.events.onSnapshot(await this.snapshot());
      if (!this.bare) await this.histograms(histograms, true);
      this.setStatus(this.stopRequested || stoppedOnNonFinite ? 'stopped' : 'done', final);
    } catch (error) {
      if (process.env['TB_DEBUG']) console.error(error);
      this.setStatus('failed', undefined, error instanceof Error ? error.message : String(error));
    } finally {
      this.dispose();
    }
  }

  /** Whether the run meets the spec's success criterion; null when the spec has none. */
  private judge(final: RunFinal): boolean | null {
    const success = this.spec.success;
    if (!success) return null;
    const value = final[success.metric];
    if (value === null) return false;
    switch (success.op) {
      case '<':
        return value < success.value;
      case '<=':
        return value <= success.value;
      case '>':
        return value > success.value;
      case '>=':
        return value >= success.value;
    }
  }

  /** A step as plain tfjs training does it: minimise, read the loss back, nothing else. */
  private async bareStep(indices: Int32Array): Promise<{ loss: number | null; accuracy: number | null; nonFinite: boolean }> {
    const step = this.step;
    const lossTensor = tf.tidy(() => {
      const { x, y } = this.batch(this.split.train, indices);
      const value = this.optimizer.minimize(() => computeLoss(this.spec.training.loss, this.network.forward(x, { training: true, step }), y, this.target), true, this.network.trainableVariables());
      return value ?? tf.scalar(Number.NaN);
    });
    const loss = finiteOrNull((await lossTensor.data())[0]);
    lossTensor.dispose();
    this.step++;
    return { loss, accuracy: null, nonFinite: loss === null };
  }

  /**
   * One optimisation step. Reads back [loss, accuracy, globalGradNorm², then per parameter
   * layer gradNorm², weightNorm², updateNorm²] in one small tensor.
   */
  private async trainStep(indices: Int32Array, started: number): Promise<{ loss: number | null; accuracy: number | null; nonFinite: boolean }> {
    const { training } = this.spec;
    const variables = this.network.trainableVariables();
    const before = variables.map((v) => tf.clone(v));
    const batchStats: { layer: NetLayer; mean: tf.Tensor; variance: tf.Tensor }[] = [];
    const step = this.step;
    // Made inside the gradient function, kept out of its tidy, disposed below.
    let accuracyTensor: tf.Tensor | null = null;
    const packed = tf.tidy(() => {
      const { x, y } = this.batch(this.split.train, indices);
      const { value: loss, grads } = tf.variableGrads(() => {
        const prediction = this.network.forward(x, { training: true, step, batchStats });
        const lossValue = computeLoss(training.loss, prediction, y, this.target);
        accuracyTensor = tf.keep(computeAccuracy(prediction, y, this.target, training.loss) ?? tf.scalar(Number.NaN));
        return lossValue;
      }, variables);
      const sumSq = (t: tf.Tensor): tf.Scalar => tf.sum(tf.square(t));
      const gradSq = variables.map((v) => sumSq(grads[v.name]!));
      const globalSq = tf.addN(gradSq);
      let applied = grads;
      if (training.clipNorm !== undefined) {
        const scale = tf.minimum(1, tf.div(training.clipNorm, tf.add(tf.sqrt(globalSq), 1e-12)));
        applied = Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, scale)]));
      }
      this.optimizer.applyGradients(applied);
      const perLayer: tf.Scalar[] = [];
      for (const layer of this.paramLayers) {
        let g: tf.Scalar = tf.scalar(0);
        let w: tf.Scalar = tf.scalar(0);
        let u: tf.Scalar = tf.scalar(0);
        for (const entry of layer.variables) {
          if (!entry.trainable) continue;
          const i = variables.indexOf(entry.variable);
          g = tf.add(g, gradSq[i]!);
          w = tf.add(w, sumSq(entry.variable));
          u = tf.add(u, sumSq(tf.sub(entry.variable, before[i]!)));
        }
        perLayer.push(g, w, u);
      }
      const accuracyScalar = (accuracyTensor ?? tf.scalar(Number.NaN)) as tf.Scalar;
      return tf.stack([loss, accuracyScalar, globalSq, ...perLayer]);
    });
    (accuracyTensor as tf.Tensor | null)?.dispose();
    const values = await packed.data();
    packed.dispose();
    const loss = finiteOrNull(values[0]);
    const accuracy = finiteOrNull(values[1]);
    const gradNorm = finiteOrNull(Math.sqrt(values[2]!));
    const layerGradNorms: (number | null)[] = [];
    const layerWeightNorms: (number | null)[] = [];
    const layerUpdateRatios: (number | null)[] = [];
    let layersFinite = true;
    for (let l = 0; l < this.paramLayers.length; l++) {
      const g = Math.sqrt(values[3 + 3 * l]!);
      const w = Math.sqrt(values[4 + 3 * l]!);
      const u = Math.sqrt(values[5 + 3 * l]!);
      if (!Number.isFinite(g) || !Number.isFinite(w) || !Number.isFinite(u)) layersFinite = false;
      layerGradNorms.push(finiteOrNull(g));
      layerWeightNorms.push(finiteOrNull(w));
      layerUpdateRatios.push(finiteOrNull(w > 0 ? u / w : u));
    }
    const nonFinite = loss === null || gradNorm === null || !layersFinite;
    if (nonFinite && !this.nonFiniteSeen) {
      this.nonFiniteSeen = true;
      // Put back the last finite weights, then find where the first non-finite value came from.
      variables.forEach((v, i) => v.assign(before[i]!));
      this.events.onNonFinite(this.localise(indices, step, values));
    }
    for (const t of before) t.dispose();
    if (batchStats.length > 0) {
      if (nonFinite) for (const s of batchStats) (s.mean.dispose(), s.variance.dispose());
      else this.network.applyBatchStats(batchStats);
    }
    this.step++;
    this.gradHistory.push(gradNorm);
    this.lossHistory.push(loss);
    if (this.gradHistory.length > HISTORY) this.gradHistory.shift();
    if (this.lossHistory.length > HISTORY) this.lossHistory.shift();
    this.events.onStep({
      step,
      epoch: this.epoch,
      loss,
      accuracy,
      gradNorm,
      layerGradNorms,
      layerWeightNorms,
      layerUpdateRatios,
      time: performance.now() - started,
    });
    return { loss, accuracy, nonFinite };
  }

  /**
   * Finds the first non-finite value in forward order: a layer's output on the step's batch,
   * else the loss, else a layer's gradient, else a weight. Runs only once per job, on the
   * step that went bad, with the weights that step started from.
   */
  private localise(indices: Int32Array, step: number, values: Float32Array | Int32Array | Uint8Array): NonFiniteReport {
    const kindOf = (hasNaN: boolean, hasInf: boolean): NonFiniteReport['kind'] => (hasNaN && hasInf ? 'NaN/Inf' : hasNaN ? 'NaN' : 'Inf');
    const base = { jobId: this.jobId, step, epoch: this.epoch, gradNormHistory: [...this.gradHistory], lossHistory: [...this.lossHistory] };
    const counts = tf.tidy(() => {
      const { x, y } = this.batch(this.split.train, indices);
      const capture: tf.Tensor[] = [];
      const prediction = this.network.forward(x, { training: true, step, capture });
      const loss = computeLoss(this.spec.training.loss, prediction, y, this.target);
      const perTensor = [...capture, loss].map((t) => tf.stack([tf.sum(tf.cast(tf.isNaN(t), 'float32')), tf.sum(tf.cast(tf.isInf(t), 'float32'))]));
      return tf.stack(perTensor).dataSync();
    });
    for (let i = 0; i < this.network.layers.length; i++) {
      const nan = counts[2 * i]!;
      const inf = counts[2 * i + 1]!;
      if (nan > 0 || inf > 0) return { ...base, layer: this.network.layers[i]!.name, tensor: 'activation', kind: kindOf(nan > 0, inf > 0) };
    }
    const last = 2 * this.network.layers.length;
    if (counts[last]! > 0 || counts[last + 1]! > 0) return { ...base, layer: null, tensor: 'loss', kind: kindOf(counts[last]! > 0, counts[last + 1]! > 0) };
    for (let l = 0; l < this.paramLayers.length; l++) {
      const g = values[3 + 3 * l]!;
      if (!Number.isFinite(g)) return { ...base, layer: this.paramLayers[l]!.name, tensor: 'gradient', kind: Number.isNaN(g) ? 'NaN' : 'Inf' };
    }
    for (let l = 0; l < this.paramLayers.length; l++) {
      const w = values[4 + 3 * l]!;
      if (!Number.isFinite(w)) return { ...base, layer: this.paramLayers[l]!.name, tensor: 'weight', kind: Number.isNaN(w) ? 'NaN' : 'Inf' };
    }
    // The squared norms overflowed float32 although every value is finite: the update did.
    return { ...base, layer: this.paramLayers[0]?.name ?? null, tensor: 'gradient', kind: 'Inf' };
  }

  /** The fixed probe batch: the first `probeSize` samples of a seeded permutation of the training split. */
  private makeProbe(): { x: tf.Tensor; y: tf.Tensor; count: number } {
    const count = Math.min(this.spec.monitor.probeSize, this.split.train.count);
    const order = shuffleInPlace(Int32Array.from({ length: this.split.train.count }, (_, i) => i), mulberry32(this.spec.training.seed ^ 0x9e37));
    const { x, y } = this.batch(this.split.train, order.subarray(0, count));
    return { x, y, count };
  }

  /** Every layer's histograms, when the schedule says they are due (see histograms.ts). */
  private async histograms(schedule: HistogramSchedule, ended = false): Promise<void> {
    const reason = this.probe && this.events.onHistograms ? schedule.due(this.step, performance.now(), ended) : null;
    if (reason === null || !this.probe) return;
    const started = performance.now();
    const tensors = await measureHistograms(this.network, this.probe, (prediction, y) => computeLoss(this.spec.training.loss, prediction, y, this.target));
    schedule.took(performance.now() - started, performance.now());
    this.events.onHistograms?.({ jobId: this.jobId, step: this.step, epoch: this.epoch, reason, tensors });
  }

  /** Per-unit statistics of every layer's output on the probe batch, reduced on the backend. */
  private async runProbe(): Promise<void> {
    if (!this.probe) return;
    const layers = this.network.layers;
    const { packed, sizes } = tf.tidy(() => {
      const capture: tf.Tensor[] = [];
      this.network.forward(this.probe!.x, { training: false, capture });
      const parts: tf.Tensor[] = [];
      const sizes: number[] = [];
      capture.forEach((output, i) => {
        const units = output.shape[output.shape.length - 1] ?? 1;
        const flat = tf.reshape(output, [-1, units]);
        const finiteMask = tf.logicalNot(tf.logicalOr(tf.isNaN(flat), tf.isInf(flat)));
        const safe = tf.where(finiteMask, flat, tf.zerosLike(flat));
        const active = tf.mean(tf.cast(tf.greater(safe, 0), 'float32'), 0);
        const activation = layers[i]!.activation;
        let saturated: tf.Tensor;
        if (activation === 'sigmoid' || activation === 'softmax') saturated = tf.mean(tf.cast(tf.logicalOr(tf.less(safe, 0.01), tf.greater(safe, 0.99)), 'float32'), 0);
        else if (activation === 'tanh') saturated = tf.mean(tf.cast(tf.greater(tf.abs(safe), 0.99), 'float32'), 0);
        else saturated = tf.zeros([units]);
        const { mean, variance } = tf.moments(safe, 0);
        const nonFinite = tf.reshape(tf.sum(tf.cast(tf.logicalNot(finiteMask), 'float32')), [1]);
        parts.push(active, saturated, mean, tf.sqrt(variance), nonFinite);
        sizes.push(units);
      });
      return { packed: tf.concat(parts), sizes };
    });
    const values = (await packed.data()) as Float32Array;
    packed.dispose();
    const result: ProbeLayer[] = [];
    let at = 0;
    layers.forEach((layer, i) => {
      const units = sizes[i]!;
      const take = (): Float32Array => {
        const part = values.slice(at, at + units);
        at += units;
        return part;
      };
      const active = take();
      const saturated = take();
      const mean = take();
      const std = take();
      const nonFinite = values[at]!;
      at += 1;
      result.push({ index: layer.index, name: layer.name, activation: layer.activation, units, active, saturated, mean, std, nonFinite });
    });
    this.events.onProbe(this.step, this.epoch, result, this.plane ? await this.plane.measure(this.network) : null);
  }

  /** Loss and accuracy over a whole split, in batches, without training. */
  private async evaluate(set: SampleSet): Promise<{ loss: number | null; accuracy: number | null }> {
    const batch = Math.max(this.batchSize, 256);
    let lossSum = 0;
    let accuracySum = 0;
    for (let start = 0; start < set.count; start += batch) {
      const indices = Int32Array.from({ length: Math.min(batch, set.count - start) }, (_, i) => start + i);
      const result = tf.tidy(() => {
        const { x, y } = this.batch(set, indices);
        const prediction = this.network.forward(x, { training: false });
        const loss = computeLoss(this.spec.training.loss, prediction, y, this.target);
        const accuracy = computeAccuracy(prediction, y, this.target, this.spec.training.loss) ?? tf.scalar(0);
        return tf.stack([loss, accuracy]);
      });
      const [loss, accuracy] = await result.data();
      result.dispose();
      lossSum += loss! * indices.length;
      accuracySum += accuracy! * indices.length;
    }
    const loss = lossSum / set.count;
    return { loss: Number.isFinite(loss) ? loss : null, accuracy: this.target.task === 'classification' ? accuracySum / set.count : null };
  }

  /** Every weight, and the probe batch's activations, read back as float32 buffers. */
  async snapshot(): Promise<Snapshot> {
    const tensors: Snapshot['tensors'] = [];
    for (const layer of this.network.layers) {
      for (const { role, variable } of layer.variables) {
        tensors.push({ layer: layer.name, role, shape: variable.shape, data: (await variable.data()) as Float32Array });
      }
    }
    if (this.probe) {
      const capture: tf.Tensor[] = [];
      const outputs = tf.tidy(() => {
        this.network.forward(this.probe!.x, { training: false, capture });
        // Layers that pass their input through (input, dropout at inference) capture the same
        // tensor twice: clone so that each entry is disposed exactly once.
        return capture.map((t) => tf.keep(tf.clone(t)));
      });
      for (let i = 0; i < outputs.length; i++) {
        tensors.push({ layer: this.network.layers[i]!.name, role: 'activation', shape: outputs[i]!.shape, data: (await outputs[i]!.data()) as Float32Array });
        outputs[i]!.dispose();
      }
    }
    return { jobId: this.jobId, step: this.step, epoch: this.epoch, tensors };
  }

  /** Frees a trainer that will never run (its run folder could not be made, say). */
  discard(): void {
    this.dispose();
  }

  private dispose(): void {
    this.probe?.x.dispose();
    this.probe?.y.dispose();
    this.probe = null;
    this.plane?.dispose();
    this.optimizer.dispose();
    this.network.dispose();
  }
}
