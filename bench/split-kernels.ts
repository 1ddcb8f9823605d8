/**
 * Each heavy kernel of the throughput bench's CNN (batch 128) on one thread and split across
 * threads (src-main/engine/backend/wasm/batchSplit.ts), wall time per call: where a split pays
 * and where its copies eat the gain. Tunes the `MIN_WORK` and the rules of splitRules.ts.
 *
 *   npx electron-vite build && npm run bench -- split-kernels [--threads N] [--reps N] [--windows N]
 *
 * Needs the built worker (out/main/kernelWorker.js). Calls alternate one thread / split, so
 * that a disturbance from another process hits both; the table gives medians. Then the whole
 * training step of that CNN (Adam, the loss read back), in windows of 10 steps alternating
 * one thread and the engine's default split (small calls whole), `--windows` of each: the
 * step's wall time, median over windows.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { benchCnn } from './support/cnn';
import os from 'node:os';
import { join } from 'node:path';
import { KernelThreads, registerWasmGradientKernels, splitWasmKernels } from '../src-main/engine/backend/wasmGradients';
import { splitRules } from '../src-main/engine/backend/wasm/splitRules';
import type { KernelFn } from '../src-main/engine/backend/wasm/kernelOps';
import { arg } from './support/timing';

const THREADS = Number(arg('--threads', String(Math.min(os.availableParallelism(), 4))));
const REPS = Number(arg('--reps', '25'));

interface Call {
  label: string;
  kernel: string;
  inputs: Record<string, tf.Tensor>;
  attrs: Record<string, unknown>;
}

const conv = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
const pool = { filterSize: [2, 2], strides: [2, 2], pad: 'valid', dimRoundingMode: undefined };

function calls(): Call[] {
  const r = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', seed);
  const relu = (shape: number[], seed: number): tf.Tensor => tf.relu(r(shape, seed));
  const x1 = r([128, 28, 28, 1], 1);
  const k1 = r([3, 3, 1, 16], 2);
  const h1 = relu([128, 28, 28, 16], 3);
  const p1 = tf.maxPool(h1 as tf.Tensor4D, 2, 2, 'valid');
  const k2 = r([3, 3, 16, 32], 4);
  const h2 = relu([128, 14, 14, 32], 5);
  const p2 = tf.maxPool(h2 as tf.Tensor4D, 2, 2, 'valid');
  return [
    { label: 'conv1 forward [128,28,28,1]→16', kernel: 'Conv2D', inputs: { x: x1, filter: k1 }, attrs: conv },
    { label: 'conv2 forward [128,14,14,16]→32', kernel: 'Conv2D', inputs: { x: p1, filter: k2 }, attrs: conv },
    { label: 'conv1 filter gradient', kernel: 'Conv2DBackpropFilter', inputs: { x: x1, dy: r([128, 28, 28, 16], 6) }, attrs: { ...conv, filterShape: [3, 3, 1, 16] } },
    { label: 'conv2 filter gradient', kernel: 'Conv2DBackpropFilter', inputs: { x: p1, dy: r([128, 14, 14, 32], 7) }, attrs: { ...conv, filterShape: [3, 3, 16, 32] } },
    { label: 'conv2 input gradient', kernel: 'Conv2DBackpropInput', inputs: { dy: r([128, 14, 14, 32], 8), filter: k2 }, attrs: { ...conv, inputShape: [128, 14, 14, 16] } },
    { label: 'pool1 gradient [128,28,28,16]', kernel: 'MaxPoolGrad', inputs: { dy: r([128, 14, 14, 16], 9), input: h1, output: p1 }, attrs: pool },
    { label: 'pool2 gradient [128,14,14,32]', kernel: 'MaxPoolGrad', inputs: { dy: r([128, 7, 7, 32], 10), input: h2, output: p2 }, attrs: pool },
  ];
}

const WINDOWS = Number(arg('--windows', '12'));

/** The throughput bench's CNN step, one thread against the engine's split, alternating windows. */
async function stepAB(): Promise<void> {
  const threads = await KernelThreads.start(join(process.cwd(), 'out', 'main', 'kernelWorker.js'), THREADS - 1);
  splitWasmKernels(tf, threads);
  const { vars, forward } = benchCnn();
  const x = tf.randomNormal([128, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 8) as tf.Tensor1D, 10);
  const optimizer = tf.train.adam(1e-3);
  const step = (): void => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  const window = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) step();
    return (performance.now() - t0) / 10;
  };
  for (let i = 0; i < 5; i++) step();
  const whole: number[] = [];
  const split: number[] = [];
  for (let i = 0; i < WINDOWS; i++) {
    threads.paused = true;
    whole.push(window());
    threads.paused = false;
    split.push(window());
  }
  const a = median(whole);
  const s = median(split);
  console.log(`\nCNN training step, batch 128 (${WINDOWS} alternating windows of 10 steps, median): one thread ${a.toFixed(1)} ms (${((128 * 1000) / a).toFixed(0)} samples/s), split across ${THREADS} threads ${s.toFixed(1)} ms (${((128 * 1000) / s).toFixed(0)} samples/s): ${(a / s).toFixed(2)}×`);
  await threads.terminate();
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  await tf.ready();
  const threads = await KernelThreads.start(join(process.cwd(), 'out', 'main', 'kernelWorker.js'), THREADS - 1, { always: true });
  const rules = splitRules(tf);
  const backend = tf.backend();
  const rows: string[][] = [];
  for (const call of calls()) {
    const whole = tf.getKernel(call.kernel, 'wasm')!.kernelFunc as unknown as KernelFn;
    const split = threads.wrap(call.kernel, rules[call.kernel]!, whole);
    const inputs = Object.fromEntries(Object.entries(call.inputs).map(([k, t]) => [k, { dataId: t.dataId, shape: t.shape, dtype: t.dtype }]));
    const work = rules[call.kernel]!.work(inputs, call.attrs);
    const time = (fn: KernelFn): number => {
      const t0 = performance.now();
      const out = fn({ inputs, backend, attrs: call.attrs });
      const ms = performance.now() - t0;
      for (const o of Array.isArray(out) ? out : [out]) backend.disposeData(o.dataId);
      return ms;
    };
    time(whole);
    time(split);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < REPS; i++) {
      a.push(time(whole));
      b.push(time(split));
    }
    rows.push([call.label, (work / 1e6).toFixed(1), median(a).toFixed(2), median(b).toFixed(2), `${(median(a) / median(b)).toFixed(2)}×`]);
  }
  const header = ['call', 'M mult-adds', '1 thread ms', `${THREADS} threads ms`, 'speed-up'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`wall time per call, median of ${REPS}; ${os.cpus().length} cores, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}\n`);
  console.log([line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...rows.map(line)].join('\n'));
  await threads.terminate();
  await stepAB();
}

void main();
