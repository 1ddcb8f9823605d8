/**
 * The engine's own training loop for the throughput bench (bench/throughput.mjs, variant
 * `engine`): the real Trainer, instrumented as in the app (per-layer norms every step, probes
 * every 50 steps), with the kernel worker threads the engine starts (one per core, at most 4),
 * so kernel splitting and data parallelism apply as they do in the app. The data are random
 * samples of MNIST shape (2,048 of them, seeded), as the bench's other variants use, shuffled
 * each epoch; Adam 1e-3, softmax cross-entropy from logits.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { KernelThreads, registerWasmGradientKernels, splitWasmKernels } from '../../src-main/engine/backend/wasmGradients';
import { DataParallel } from '../../src-main/engine/training/dataParallel';
import { Trainer } from '../../src-main/engine/training/trainer';
import type { TrainingData } from '../../src-main/engine/training/trainingData';
import { BENCH_CNN, BENCH_MLP, benchSpec, type Layers } from './specs';

const LAYERS: Record<string, Layers> = { MLP: BENCH_MLP, CNN: BENCH_CNN };

function randomData(count: number): TrainingData {
  const sample = 28 * 28;
  const x = tf.tidy(() => tf.randomNormal([count * sample], 0, 1, 'float32', 7).dataSync() as Float32Array);
  const labels = Int32Array.from({ length: count }, (_, i) => (i * 7919) % 10);
  return {
    name: 'random',
    inputShape: [28, 28, 1],
    task: 'classification',
    outputs: 10,
    train: {
      count,
      fill(indices, xs, ys) {
        for (let i = 0; i < indices.length; i++) {
          xs.set(x.subarray(indices[i]! * sample, (indices[i]! + 1) * sample), i * sample);
          ys[i] = labels[indices[i]!]!;
        }
      },
    },
  };
}

export interface EngineRun {
  windows: number[];
  threads: number;
  dataParallel: { parallelSteps: number; sequentialSteps: number } | null;
  finalLoss: number | null;
}

/**
 * Trains `model` with batch `batch` and returns samples/s per timing window: warm-up (≥ 5 steps
 * and ≥ 1 s), then windows of `seconds` until the last three agree within ±5 % (at most 8).
 */
export async function engineWindows(model: string, batch: number, seconds: number, workerScript: string, threads: number): Promise<EngineRun> {
  const layers = LAYERS[model];
  if (!layers) throw new Error(`unknown model ${model}`);
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  await tf.ready();
  if (threads > 1) splitWasmKernels(tf, await KernelThreads.start(workerScript, threads - 1));
  // The engine's defaults for the monitor (probes every 50 steps of 256 samples, no snapshots).
  const spec = benchSpec(layers, batch, 100_000);
  const windows: number[] = [];
  let phase: 'warm' | 'timing' = 'warm';
  let t0 = performance.now();
  let steps = 0;
  let lastLoss: number | null = null;
  let failure: string | null = null;
  const trainer: Trainer = new Trainer('bench', spec, randomData(2048), 'wasm', {
    onStep: (point) => {
      lastLoss = point.loss;
      steps++;
      const elapsed = performance.now() - t0;
      if (phase === 'warm') {
        if (steps >= 5 && elapsed >= 1000) [phase, steps, t0] = ['timing', 0, performance.now()];
        return;
      }
      if (elapsed < seconds * 1000) return;
      windows.push((steps * batch) / (elapsed / 1000));
      [steps, t0] = [0, performance.now()];
      const last = windows.slice(-3).sort((a, b) => a - b);
      if (windows.length >= 8 || (last.length === 3 && last.every((v) => Math.abs(v - last[1]!) <= 0.05 * last[1]!))) trainer.stop();
    },
    onEpoch: () => undefined,
    onProbe: () => undefined,
    onSnapshot: () => undefined,
    onNonFinite: () => undefined,
    onStatus: (status, _final, error) => {
      if (status === 'failed') failure = error ?? 'failed';
    },
  });
  const parallel = (trainer as unknown as { parallel: DataParallel | null }).parallel;
  await trainer.run();
  if (failure) throw new Error(failure);
  return { windows, threads, dataParallel: parallel ? { parallelSteps: parallel.parallelSteps, sequentialSteps: parallel.sequentialSteps } : null, finalLoss: lastLoss };
}
