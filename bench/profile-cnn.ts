/**
 * Where a CNN training step's time goes on the wasm backend, kernel by kernel.
 *
 *   npm run bench -- profile-cnn [--steps N] [--warmup N] [--fast-paths all|none|Name,Name]
 *
 * The model is the throughput bench's CNN (bench/throughput.mjs): conv3×3 16 relu same,
 * maxpool 2, conv3×3 32 relu same, maxpool 2, flatten, dense 10; batch 128 of MNIST shape,
 * Adam 1e-3, softmax cross-entropy from logits, the loss read back every step. The wasm
 * backend runs every kernel synchronously on the calling thread, so each registered wasm
 * kernel is wrapped with a timer of the process's CPU time (steadier than wall time on a
 * shared machine; the step's wall time is printed beside it). Kernels that Trainbench composes from other wasm
 * kernels (wasmGradients.ts) call those through the registry too: a call made inside another
 * kernel is counted in a second table, under its caller, and not again in the first. The rest
 * of the step (tfjs's engine, the gradient tape, JavaScript) is the "outside kernels" row.
 *
 * Prints two tables: per top-level kernel (calls, CPU ms per step, share of the mean step, µs
 * per call), and per kernel called inside a composite kernel. Kernel times are totals over the
 * timed steps divided by their number; the step line gives median, mean and minimum CPU time.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { KernelThreads, registerWasmGradientKernels, splitWasmKernels } from '../src-main/engine/backend/wasmGradients';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-wasm';
import { benchCnn } from './support/cnn';
import { arg, cpuMs } from './support/timing';

const STEPS = Number(arg('--steps', '30'));
const WARMUP = Number(arg('--warmup', '5'));
const FAST = arg('--fast-paths', 'all');
/** Threads for the split kernels (batchSplit.ts); >1 needs `npx electron-vite build` (out/main/kernelWorker.js). */
const THREADS = Number(arg('--threads', '1'));
const BATCH = 128;

/**
 * The clock of the kernel tables: CPU time, or with --threads > 1 wall time (CPU time would add
 * the worker threads' time to the calling thread's).
 */
const kernelClock = THREADS > 1 ? (): number => performance.now() : cpuMs;

interface Tally {
  calls: number;
  ms: number;
}

/** Per-kernel wall time; nested calls are kept apart under their top-level caller. */
class KernelClock {
  readonly top = new Map<string, Tally>();
  readonly nested = new Map<string, Tally>();
  private readonly stack: string[] = [];
  on = false;

  private add(map: Map<string, Tally>, key: string, ms: number): void {
    const t = map.get(key) ?? { calls: 0, ms: 0 };
    t.calls++;
    t.ms += ms;
    map.set(key, t);
  }

  /** Wraps every kernel registered for the wasm backend (after Trainbench's are installed). */
  install(): void {
    for (const config of tf.getKernelsForBackend('wasm')) {
      const inner = config.kernelFunc;
      const name = config.kernelName;
      const timed: tf.KernelFunc = (args) => {
        if (!this.on) return inner(args);
        const caller = this.stack[this.stack.length - 1];
        this.stack.push(name);
        const t0 = kernelClock();
        try {
          return inner(args);
        } finally {
          const ms = kernelClock() - t0;
          this.stack.pop();
          if (caller === undefined) this.add(this.top, name, ms);
          else this.add(this.nested, `${caller} › ${name}`, ms);
        }
      };
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel({ ...config, kernelFunc: timed });
    }
  }

  reset(): void {
    this.top.clear();
    this.nested.clear();
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const fastPaths = FAST === 'all' ? true : FAST === 'none' ? false : FAST.split(',');
  const registered = registerWasmGradientKernels(tf, { fastPaths });
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  await tf.ready();
  let split: string[] = [];
  if (THREADS > 1) split = splitWasmKernels(tf, await KernelThreads.start(join(process.cwd(), 'out', 'main', 'kernelWorker.js'), THREADS - 1));
  const clock = new KernelClock();
  clock.install();

  const { vars, forward } = benchCnn();
  const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 8) as tf.Tensor1D, 10);
  const optimizer = tf.train.adam(1e-3);
  const step = (): void => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  for (let i = 0; i < WARMUP; i++) step();
  const loadBefore = os.loadavg();
  const stepMs: number[] = [];
  const wallMs: number[] = [];
  clock.on = true;
  for (let i = 0; i < STEPS; i++) {
    const w0 = performance.now();
    const t0 = cpuMs();
    step();
    stepMs.push(cpuMs() - t0);
    wallMs.push(performance.now() - w0);
  }
  clock.on = false;
  const sorted = [...stepMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const mean = stepMs.reduce((a, b) => a + b, 0) / STEPS;
  const wallMedian = [...wallMs].sort((a, b) => a - b)[Math.floor(STEPS / 2)]!;
  const kernelMs = [...clock.top.values()].reduce((a, t) => a + t.ms, 0) / STEPS;

  console.log(`tfjs ${tf.version.tfjs} wasm, ${THREADS} thread(s)${split.length ? ` splitting ${split.join(', ')}` : ''}; fast paths: ${FAST} (registered: ${registered.join(', ')})`);
  console.log(`CNN batch ${BATCH}, ${STEPS} timed steps after ${WARMUP} warm-up; CPU time per step: median ${median.toFixed(1)} ms, mean ${mean.toFixed(1)} ms, min ${sorted[0]!.toFixed(1)} ms (wall median ${wallMedian.toFixed(1)} ms)`);
  console.log(`${os.cpus().length} cores, load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} before, ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} after\n`);

  const rows = [...clock.top.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const perStep = (t: Tally): string => (t.ms / STEPS).toFixed(2);
  const share = (ms: number): string => `${((ms / STEPS / mean) * 100).toFixed(1)} %`;
  const body = rows.map(([name, t]) => [name, (t.calls / STEPS).toFixed(0), perStep(t), share(t.ms), ((t.ms / t.calls) * 1000).toFixed(0)]);
  body.push(['(all kernels)', '', kernelMs.toFixed(2), share(kernelMs * STEPS), '']);
  body.push(['(outside kernels: engine, tape, JS)', '', (mean - kernelMs).toFixed(2), share((mean - kernelMs) * STEPS), '']);
  console.log(`${THREADS > 1 ? 'Wall' : 'CPU'} time (ms) per step:\n`);
  console.log(table(['kernel', 'calls/step', 'ms/step', 'of step', 'µs/call'], body));

  if (clock.nested.size > 0) {
    console.log('\nInside Trainbench\'s composite kernels (already counted in their caller above):\n');
    const nested = [...clock.nested.entries()].sort((a, b) => b[1].ms - a[1].ms);
    console.log(table(['caller › kernel', 'calls/step', 'ms/step', 'µs/call'], nested.map(([name, t]) => [name, (t.calls / STEPS).toFixed(0), perStep(t), ((t.ms / t.calls) * 1000).toFixed(0)])));
  }
  for (const v of vars) v.dispose();
  optimizer.dispose();
}

void main();
