/**
 * The instrumented training loop. A hand-written loop rather than model.fit, so that the
 * gradients are in hand every step: each step reads back one small tensor holding the loss,
 * accuracy, global gradient norm and, per parameter layer, the gradient norm, weight norm and
 * update norm (stepStatistics.ts). Every K steps a fixed probe batch runs forward with every
 * layer's output captured and reduced on the backend to per-unit statistics
 * (probeStatistics.ts). The first NaN or Inf is localised by nonFiniteLocation.ts. Whole
 * tensors are read back only for snapshots. Every tensor made in a step is disposed in that step.
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
import { DataParallel } from './dataParallel';
import { partGradients } from './replica';
import { localiseNonFinite } from './nonFiniteLocation';
import { probeStatistics } from './probeStatistics';
import { clipByGlobalNorm, finiteOrNull, StepStatistics } from './stepStatistics';
import { mulberry32, shuffleInPlace, splitData, type SampleSet, type Split, type TrainingData } from './trainingData';

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
  private readonly statistics: StepStatistics;
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
  /** Steps split across the kernel threads by parts of the batch, when the spec allows (dataParallel.ts). */
  private readonly parallel: DataParallel | null;

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
    this.statistics = new StepStatistics(this.paramLayers, this.network.trainableVariables());
    this.parallel = DataParallel.create(this.network, spec, this.report, this.target, data.inputShape, this.batchSize);
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
      parallelism: this.parallel ? { parts: this.parallel.parts, reason: null } : { parts: 1, reason: DataParallel.plan(spec, this.report, this.batchSize).reason ?? 'the worker threads could not build the replica' },
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
      const parts = this.parallel?.gradients(this.split.train, indices, step);
      if (parts) {
        this.optimizer.applyGradients(parts.grads);
        return parts.loss;
      }
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
   * One optimisation step. Reads back the step's measurements (stepStatistics.ts) in one small
   * tensor.
   */
  private async trainStep(indices: Int32Array, started: number): Promise<{ loss: number | null; accuracy: number | null; nonFinite: boolean }> {
    const { training } = this.spec;
    const variables = this.network.trainableVariables();
    const before = variables.map((v) => tf.clone(v));
    const batchStats: { layer: NetLayer; mean: tf.Tensor; variance: tf.Tensor }[] = [];
    const step = this.step;
    const packed = tf.tidy(() => {
      // Data-parallel when the spec allows (dataParallel.ts), else the whole batch here.
      const { loss, grads, accuracy } =
        this.parallel?.gradients(this.split.train, indices, step) ??
        (() => {
          const { x, y } = this.batch(this.split.train, indices);
          return partGradients(this.network, this.spec, this.target, variables, x, y, step, { batchStats });
        })();
      const gradSq = this.statistics.gradientSquares(grads);
      this.optimizer.applyGradients(training.clipNorm !== undefined ? clipByGlobalNorm(grads, gradSq, training.clipNorm) : grads);
      return this.statistics.pack(loss, accuracy, gradSq, before);
    });
    const measures = this.statistics.decode(await packed.data());
    packed.dispose();
    const { loss, accuracy, gradNorm } = measures;
    const nonFinite = loss === null || gradNorm === null || !measures.layersFinite;
    if (nonFinite && !this.nonFiniteSeen) {
      this.nonFiniteSeen = true;
      // Put back the last finite weights, then find where the first non-finite value came from.
      variables.forEach((v, i) => v.assign(before[i]!));
      this.events.onNonFinite(this.localise(indices, step, measures.layerSquares));
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
      layerGradNorms: measures.layerGradNorms,
      layerWeightNorms: measures.layerWeightNorms,
      layerUpdateRatios: measures.layerUpdateRatios,
      time: performance.now() - started,
    });
    return { loss, accuracy, nonFinite };
  }

  /** The report of the first non-finite value, found on the step's batch with the weights it started from. */
  private localise(indices: Int32Array, step: number, layerSquares: { grad: number; weight: number }[]): NonFiniteReport {
    const { x, y } = this.batch(this.split.train, indices);
    try {
      const where = localiseNonFinite({
        network: this.network,
        paramLayers: this.paramLayers,
        x,
        y,
        step,
        loss: (prediction, target) => computeLoss(this.spec.training.loss, prediction, target, this.target),
        layerSquares,
      });
      return { jobId: this.jobId, step, epoch: this.epoch, gradNormHistory: [...this.gradHistory], lossHistory: [...this.lossHistory], ...where };
    } finally {
      x.dispose();
      y.dispose();
    }
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
    const layers = await probeStatistics(this.network, this.probe.x);
    this.events.onProbe(this.step, this.epoch, layers, this.plane ? await this.plane.measure(this.network) : null);
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
    this.parallel?.dispose();
    this.optimizer.dispose();
    this.network.dispose();
  }
}
