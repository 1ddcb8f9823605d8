/**
 * The SIMD kernels of simd/pooling.wat, reductions.wat and elementwise.wat against the paths they replaced, kernel by kernel, on the
 * CNN's shapes (bench/support/cnn.ts, batch 128).
 *
 *   npm run bench -- simd-kernels [--reps N] [--rounds N]
 *
 * MaxPoolGrad (the 2×2 pools' inputs after relu: SIMD against the branch-free JavaScript loop),
 * Sum over leading axes (the bias gradients: SIMD against the JavaScript loop) and Add (the
 * conv bias adds [N, H, W, C] + [C]: SIMD against the wasm backend's own kernel), in CPU time
 * per call on one thread: the median of --reps calls after warm-up, for each path in turn, over
 * --rounds rounds (the machine's speed drifts; compare the cells of one round).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../src-main/engine/backend/wasmGradients';
import { MAX_POOL_GRAD_TUNING } from '../src-main/engine/backend/wasm/poolGradients';
import { SUM_TUNING } from '../src-main/engine/backend/wasm/reductions';
import { ADD_TUNING } from '../src-main/engine/backend/wasm/elementwise';
import { arg, medianCpuMs } from './support/timing';

const REPS = Number(arg('--reps', '30'));
const ROUNDS = Number(arg('--rounds', '3'));

const time = (run: () => void): number => medianCpuMs(run, REPS);

/** Times each path in turn, ROUNDS times, and prints one line per case. */
function compare(label: string, paths: Record<string, (on: boolean) => void>, run: () => void): void {
  const cells: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, set] of Object.entries(paths)) {
      set(true);
      (cells[name] ??= []).push(time(run));
      set(false);
    }
  }
  console.log(`${label} ms/call: ${Object.entries(cells).map(([name, ms]) => `${name} ${ms.map((v) => v.toFixed(3)).join(' ')}`).join('  |  ')}`);
}

const kernel = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>) => (): void => {
  (tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dispose();
};

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  const maxPoolPaths = { simd: (on: boolean) => void (MAX_POOL_GRAD_TUNING.simd = on), js: (on: boolean) => void (MAX_POOL_GRAD_TUNING.simd = !on) };
  for (const shape of [
    [128, 28, 28, 16],
    [128, 14, 14, 32],
  ] as [number, number, number, number][]) {
    const x = tf.relu(tf.randomNormal(shape, 0, 1, 'float32', 3)) as tf.Tensor4D;
    const out = tf.maxPool(x, 2, 2, 'valid');
    const dy = tf.randomNormal(out.shape, 0, 1, 'float32', 4);
    compare(`MaxPoolGrad x [${shape}] (after relu)`, maxPoolPaths, kernel('MaxPoolGrad', { dy, input: x, output: out }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }));
    tf.dispose([x, out, dy]);
  }
  MAX_POOL_GRAD_TUNING.simd = true;

  const sumPaths = { simd: (on: boolean) => void (SUM_TUNING.simd = on), js: (on: boolean) => void (SUM_TUNING.simd = !on) };
  for (const shape of [
    [128, 28, 28, 16],
    [128, 14, 14, 32],
    [128, 1568],
    [128, 10],
  ]) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
    compare(`Sum x [${shape}] over leading axes`, sumPaths, kernel('Sum', { x }, { axis: shape.slice(0, -1).map((_, i) => i), keepDims: false }));
    tf.dispose(x);
  }
  SUM_TUNING.simd = true;

  const addPaths = { simd: (on: boolean) => void (ADD_TUNING.simd = on), wasm: (on: boolean) => void (ADD_TUNING.simd = !on) };
  for (const [aShape, bShape] of [
    [[128, 28, 28, 16], [16]],
    [[128, 14, 14, 32], [32]],
  ]) {
    const a = tf.randomNormal(aShape!, 0, 1, 'float32', 6);
    const b = tf.randomNormal(bShape!, 0, 1, 'float32', 7);
    compare(`Add [${aShape}] + [${bShape}]`, addPaths, kernel('Add', { a, b }, {}));
    tf.dispose([a, b]);
  }
  ADD_TUNING.simd = true;
}

void main();
