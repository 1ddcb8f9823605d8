/**
 * The engine's training throughput on the wasm backend in three modes, in one process: one
 * thread; the heavy kernels split across the kernel threads (batchSplit.ts); whole steps split
 * by parts of the batch across the same threads (data parallelism, dataParallel.ts).
 *
 *   npx electron-vite build && npm run bench -- data-parallel [--steps N] [--rounds N] [--threads N]
 *
 * The real Trainer, instrumented as in the app (per-layer norms every step, probes every 50
 * steps), on the bundled MNIST digits, Adam, batch 128 unless the model says otherwise. Modes
 * alternate, `--rounds` times (default 3); the table gives each mode's median samples/s of wall
 * time and, for data parallelism, how many steps ran on the worker threads and how many on this
 * thread (`Choice`: when the other core is busy, the parts run here), or why the engine does not
 * use it for that model (then that column is not measured). Needs the built kernel
 * worker (out/main/kernelWorker.js).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { join } from 'node:path';
import { KernelThreads, registerWasmGradientKernels, splitWasmKernels } from '../src-main/engine/backend/wasmGradients';
import { builtinData } from '../src-main/engine/training/builtinData';
import { DataParallel } from '../src-main/engine/training/dataParallel';
import { Trainer } from '../src-main/engine/training/trainer';
import { inferShapes } from '@contract/specShapes';
import { BENCH_CNN, BENCH_MLP, benchSpec, WIDE_SIGMOID_MLP, type Layers } from './support/specs';
import { arg } from './support/timing';

const STEPS = Number(arg('--steps', '40'));
const ROUNDS = Number(arg('--rounds', '3'));
const THREADS = Number(arg('--threads', String(Math.min(os.availableParallelism(), 4))));
const ONLY = arg('--models', '');

const models: { name: string; layers: Layers; batch: number; steps: number }[] = [
  { name: 'CNN 16-32 conv (throughput bench)', batch: 128, steps: STEPS, layers: BENCH_CNN },
  {
    name: 'mnist-cnn preset (32-64 conv, dense 128, dropout), batch 64',
    batch: 64,
    steps: Math.max(10, Math.round(STEPS / 2)),
    layers: [
      { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 128, activation: 'relu', kernelInitializer: 'heNormal' },
      { type: 'dense', units: 10 },
    ],
  },
  { name: 'MLP 784-128-10', batch: 128, steps: STEPS * 5, layers: BENCH_MLP },
  { name: 'MLP 784-1000-10 sigmoid, batch 32', batch: 32, steps: STEPS * 5, layers: WIDE_SIGMOID_MLP },
  { name: 'MLP 784-256-256-10, batch 64', batch: 64, steps: STEPS * 5, layers: [{ type: 'flatten' }, { type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 10 }] },
];

type Mode = 'one thread' | 'kernel split' | 'data parallel';
const MODES: Mode[] = ['one thread', 'kernel split', 'data parallel'];

async function measure(threads: KernelThreads, layers: Layers, batch: number, steps: number, mode: Mode): Promise<{ rate: number; parallel: number; sequential: number }> {
  const spec = benchSpec(layers, batch);
  threads.paused = mode === 'one thread';
  DataParallel.enabled = mode === 'data parallel';
  const warmup = 10;
  let seen = 0;
  let started = 0;
  let elapsed = 0;
  const trainer: Trainer = new Trainer('bench', spec, builtinData(spec), 'wasm', {
    onStep: () => {
      seen++;
      if (seen === warmup) started = performance.now();
      if (seen === warmup + steps) {
        elapsed = performance.now() - started;
        trainer.stop();
      }
    },
    onEpoch: () => undefined,
    onProbe: () => undefined,
    onSnapshot: () => undefined,
    onNonFinite: () => undefined,
    onStatus: (status, _final, error) => {
      if (status === 'failed') throw new Error(error);
    },
  });
  const parallel = (trainer as unknown as { parallel: DataParallel | null }).parallel;
  await trainer.run();
  return { rate: (steps * batch) / (elapsed / 1000), parallel: parallel?.parallelSteps ?? 0, sequential: parallel?.sequentialSteps ?? 0 };
}

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  await tf.ready();
  const threads = await KernelThreads.start(join(process.cwd(), 'out', 'main', 'kernelWorker.js'), THREADS - 1);
  splitWasmKernels(tf, threads);
  console.log(`tfjs ${tf.version.tfjs} wasm, ${THREADS} threads, ${os.availableParallelism()} cores, ${ROUNDS} alternating rounds, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const rows: string[][] = [];
  for (const model of models) {
    if (ONLY && !model.name.startsWith(ONLY)) continue;
    // Whether the engine would train this spec data-parallel, and if not why (the column says).
    const spec = benchSpec(model.layers, model.batch);
    DataParallel.enabled = true;
    const plan = DataParallel.plan(spec, inferShapes(spec, { inputShape: [28, 28, 1], task: 'classification', outputs: 10 }), model.batch);
    const modes = plan.reason === null ? MODES : MODES.filter((m) => m !== 'data parallel');
    const runs = new Map<Mode, { rate: number; parallel: number; sequential: number }[]>(MODES.map((m) => [m, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of modes) runs.get(mode)!.push(await measure(threads, model.layers, model.batch, model.steps, mode));
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const rate = (mode: Mode): number => median(runs.get(mode)!.map((r) => r.rate));
    const dp = runs.get('data parallel')!;
    const one = rate('one thread');
    rows.push([
      model.name,
      one.toFixed(0),
      `${rate('kernel split').toFixed(0)} (${(rate('kernel split') / one).toFixed(2)}×)`,
      plan.reason === null ? `${rate('data parallel').toFixed(0)} (${(rate('data parallel') / one).toFixed(2)}×)` : `not used: ${plan.reason}`,
      plan.reason === null ? `${dp.reduce((a, r) => a + r.parallel, 0)} / ${dp.reduce((a, r) => a + r.sequential, 0)}` : '—',
    ]);
  }
  const header = ['model', 'one thread', 'kernel split', 'data parallel', 'steps on workers / here'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log('\nsamples/s (wall time, median of the rounds):');
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i > 0 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log(`load average after: ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  await threads.terminate();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
