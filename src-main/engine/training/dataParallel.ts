/**
 * Data-parallel training steps on the wasm backend. tfjs runs the wasm backend on one thread in
 * Node; splitting single kernels across the kernel worker threads (batchSplit.ts) leaves the
 * elementwise ops, pooling and tfjs's own overhead on one thread and copies every split
 * kernel's inputs and outputs. Here a whole step splits instead: each worker thread holds a
 * replica of the network (replica.ts) and computes the gradient of its part of the batch with
 * the engine's current weights while the engine's thread computes the first part; the parts'
 * losses, accuracies and gradients are added, weighted by their sizes, into the batch's. Only
 * the weights, the parts' samples and the gradients cross between threads.
 *
 * Results depend on the spec, the seed and the number of threads, not on the machine's load:
 * when the other cores are busy (another process), waiting for a worker is slower than one
 * thread, so `Choice` compares the recent wall times and may compute the parts one after
 * another on this thread instead, with the same code and kernels (run whole), added in the same
 * order: the same float32 numbers. A worker that fails costs one recomputation here; the
 * threads are then off for the process (batchSplit.ts keeps the reason).
 *
 * Not used for networks with batch normalisation (each part would normalise by its own batch
 * statistics, which changes the model), for small steps (below `MIN_STEP_FLOPS` the copies and
 * the wait cost more than they save), for networks with little work per weight (MLPs:
 * `MIN_FLOPS_PER_PARAMETER`), or for a batch with fewer than two samples per part (then that
 * step runs whole, as on one thread).
 */
import * as tf from '@tensorflow/tfjs';
import type { Spec } from '@contract/spec';
import type { ShapeReport } from '@contract/specShapes';
import { Choice, kernelThreads, ThreadFailure, type KernelThreads, type PostedTask } from '../backend/wasm/batchSplit';
import type { WasmBackendFull } from '../backend/wasm/kernelOps';
import type { TargetInfo } from './losses';
import type { Network } from './network';
import { partStep, stepOutputSize, weightCount, type PartGradients, type PartSamples, type ReplicaMessage } from './replica';
import type { SampleSet } from './trainingData';

/**
 * Least work of a training step (forward FLOPs of the batch × 3 for forward and backward) for
 * data parallelism. Measured with `npm run bench -- data-parallel` on 2 cores: see its header.
 */
export const MIN_STEP_FLOPS = 30_000_000;
/**
 * Least work of a step per trainable parameter: every step copies the weights to each worker and
 * its gradients back, adds them here, and doubles the per-op dispatch of small layers. MLPs of
 * ~200-800 FLOPs per parameter and step lost 20-60 % that way (784-1000-10 batch 32: 0.38× of
 * one thread; 784-128-10 batch 128: 0.78×); the mnist-cnn preset (~3,900) gained 1.37×, the
 * bench CNN (~40,000) 1.45×.
 */
export const MIN_FLOPS_PER_PARAMETER = 1_000;
/** Steps of each kind not timed for `Choice`: the first ones on a worker build its kernels' state. */
const WARMUP_STEPS = 2;

/** Whether a spec trains data-parallel on `threads` threads, and if not why (a fixed rule: results must not depend on timing). */
export function dataParallelPlan(spec: Spec, report: ShapeReport, batchSize: number, threads: number): { parts: number; reason: string | null } {
  if (threads < 2) return { parts: 1, reason: 'one thread' };
  if (spec.model.layers.some((l) => l.type === 'batchNormalization')) return { parts: 1, reason: 'batch normalisation needs the whole batch' };
  const flops = report.flopsPerSample * batchSize * 3;
  if (flops < MIN_STEP_FLOPS) return { parts: 1, reason: `a step is too small (${(flops / 1e6).toFixed(1)} MFLOP < ${MIN_STEP_FLOPS / 1e6})` };
  if (flops < MIN_FLOPS_PER_PARAMETER * report.trainableParams) return { parts: 1, reason: 'too little work per weight to copy the weights each step' };
  if (batchSize < 2 * threads) return { parts: 1, reason: 'the batch is too small' };
  return { parts: threads, reason: null };
}

let replicaIds = 0;

export class DataParallel {
  /** Off: every trainer made from now on steps whole (benches compare; the engine never turns it off). */
  static enabled = true;
  /**
   * A step on one thread takes about twice as long: try it again only every 64 steps, and keep
   * the threads unless one thread was more than 10 % faster (one slow step on a noisy machine
   * should not cost a step at half speed).
   */
  private readonly choice = new Choice(64, 1.1);
  private readonly weights: Float32Array;
  /** Steps whose parts ran on the worker threads, and on this thread one after another. */
  parallelSteps = 0;
  sequentialSteps = 0;
  /** Where the parts run: by `Choice`, or always on the workers or here (tests; results are the same). */
  mode: 'auto' | 'workers' | 'here' = 'auto';

  private constructor(
    private readonly threads: KernelThreads,
    private readonly id: number,
    readonly parts: number,
    private readonly network: Network,
    private readonly spec: Spec,
    private readonly target: TargetInfo,
    private readonly inputShape: number[],
    private readonly variables: tf.Variable[],
  ) {
    this.weights = new Float32Array(weightCount(variables));
  }

  /** The plan for a spec in this process: its threads and backend, then `dataParallelPlan`. */
  static plan(spec: Spec, report: ShapeReport, batchSize: number): { parts: number; reason: string | null } {
    const threads = kernelThreads();
    if (tf.getBackend() !== 'wasm') return { parts: 1, reason: `the ${tf.getBackend()} backend runs its own threads` };
    if (!threads) return { parts: 1, reason: 'no kernel worker threads' };
    if (!DataParallel.enabled) return { parts: 1, reason: 'turned off' };
    return dataParallelPlan(spec, report, batchSize, threads.threads);
  }

  /**
   * Builds a replica of `network` on every worker thread when the plan says data parallelism
   * applies; null when it does not, or when the threads are off or fail now.
   */
  static create(network: Network, spec: Spec, report: ShapeReport, target: TargetInfo, inputShape: number[], batchSize: number): DataParallel | null {
    const threads = kernelThreads();
    const plan = DataParallel.plan(spec, report, batchSize);
    if (!threads || plan.reason !== null) return null;
    const id = ++replicaIds;
    const message: ReplicaMessage = { op: 'build', id, spec, inputShape, task: target.task, outputs: target.outputs };
    try {
      threads.parallel(DataParallel.toAll(threads, plan.parts, message), () => undefined);
    } catch (error) {
      if (error instanceof ThreadFailure) return null;
      throw error;
    }
    return new DataParallel(threads, id, plan.parts, network, spec, target, inputShape, network.trainableVariables());
  }

  private static toAll(threads: KernelThreads, parts: number, message: ReplicaMessage): PostedTask[] {
    return Array.from({ length: Math.min(parts - 1, threads.threads - 1) }, () => ({ task: { kind: 'replica', message }, inputs: [], outElements: 0 }));
  }

  /**
   * Inside the caller's tidy: the batch's mean loss, accuracy and gradients, from its parts.
   * Null when this batch is too small to split (the caller runs the step whole).
   */
  gradients(set: SampleSet, indices: Int32Array, step: number): PartGradients | null {
    const n = indices.length;
    const parts = this.parts;
    if (n < 2 * parts || this.threads.failure !== null) return null;
    const begins = Array.from({ length: parts + 1 }, (_, k) => Math.floor((n * k) / parts));
    const samples = Array.from({ length: parts }, (_, k) => this.samples(set, indices.subarray(begins[k]!, begins[k + 1]!)));
    const outSize = stepOutputSize(this.variables);
    const parallel = this.mode === 'workers' || (this.mode === 'auto' && !this.threads.paused && this.choice.split());
    const started = performance.now();
    let results: Float32Array[] | null = null;
    if (parallel) {
      this.readWeights();
      const tasks: PostedTask[] = samples.slice(1).map((s, i) => {
        const message: ReplicaMessage = { op: 'step', id: this.id, step, begin: begins[i + 1]!, total: n, n: s.n };
        return {
          task: { kind: 'replica', message },
          inputs: [
            { name: 'weights', shape: [this.weights.length], data: this.weights },
            { name: 'x', shape: [s.x.length], data: s.x },
            { name: 'y', shape: [s.y.length], data: s.y },
          ],
          outElements: outSize,
        };
      });
      try {
        const { local, outputs } = this.threads.parallel(tasks, () => this.part(samples[0]!, step, { begin: 0, total: n }));
        results = [local, ...outputs];
        if (++this.parallelSteps > WARMUP_STEPS) this.choice.record(true, performance.now() - started);
      } catch (error) {
        // A worker failed: the threads are off now; this step's parts are computed here.
        if (!(error instanceof ThreadFailure)) throw error;
      }
    }
    if (results === null) {
      const sequentialStart = performance.now();
      results = this.threads.whole(() => samples.map((s, k) => this.part(s, step, { begin: begins[k]!, total: n })));
      if (++this.sequentialSteps > WARMUP_STEPS && !parallel) this.choice.record(false, performance.now() - sequentialStart);
    }
    return this.combine(results, begins, n);
  }

  /** A part's samples as float32 arrays (class indices too: exact below 2²⁴). */
  private samples(set: SampleSet, indices: Int32Array): PartSamples {
    const n = indices.length;
    const x = new Float32Array(n * this.inputShape.reduce((a, b) => a * b, 1));
    const classes = this.target.task === 'classification';
    const y = classes ? new Int32Array(n) : new Float32Array(n * this.target.outputs);
    set.fill(indices, x, y);
    return { n, x, y: classes ? Float32Array.from(y) : (y as Float32Array) };
  }

  /** The engine's current weights, flat, in the replicas' variable order. */
  private readWeights(): void {
    const backend = tf.backend() as unknown as WasmBackendFull;
    let at = 0;
    for (const v of this.variables) {
      const view = backend.typedArrayFromHeap(v);
      this.weights.set(view, at);
      at += view.length;
    }
  }

  /** One part on this thread: [loss, accuracy, gradients…], as a replica step returns it. */
  private part(s: PartSamples, step: number, rows: { begin: number; total: number }): Float32Array {
    const out = new Float32Array(stepOutputSize(this.variables));
    partStep(this.network, this.spec, this.target, this.inputShape, this.variables, s, step, rows, out);
    return out;
  }

  /** Σ over parts of (part size / batch size) × part, in part order, as tensors. */
  private combine(results: Float32Array[], begins: number[], n: number): PartGradients {
    const total = new Float32Array(results[0]!.length);
    const weights = results.map((_, k) => (begins[k + 1]! - begins[k]!) / n);
    for (let i = 0; i < total.length; i++) {
      let sum = 0;
      for (let k = 0; k < results.length; k++) sum += weights[k]! * results[k]![i]!;
      total[i] = sum;
    }
    const grads: tf.NamedTensorMap = {};
    let o = 2;
    for (const v of this.variables) {
      grads[v.name] = tf.tensor(total.subarray(o, o + v.size), v.shape, 'float32');
      o += v.size;
    }
    return { loss: tf.scalar(total[0]!), accuracy: tf.scalar(total[1]!), grads };
  }

  /** Frees the replicas on the worker threads. */
  dispose(): void {
    if (this.threads.failure !== null) return;
    try {
      this.threads.parallel(DataParallel.toAll(this.threads, this.parts, { op: 'free', id: this.id }), () => undefined);
    } catch (error) {
      if (!(error instanceof ThreadFailure)) throw error;
    }
  }
}
