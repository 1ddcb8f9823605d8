/**
 * The matrix products of dense layers in training, call by call, on the SIMD kernels and on the
 * XNNPACK path (matMul.ts), alternating.
 *
 *   npm run bench -- matmul [--reps N]
 *
 * x·W (the forward product under a gradient tape, which tfjs does not fuse with a relu), xᵀ·dy
 * (the weight gradient, `BatchMatMul` transposeA) and dy·Wᵀ (the input gradient, transposeB) on
 * the shapes of the mnist-cnn preset's dense layer (3136 → 128, batch 64) and of
 * the MLPs (784-128-10, batch 128; 784-1000, batch 32). CPU time per call on one thread (median
 * of --reps calls after warm-up), two rounds; each product is checked against the other path.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../src-main/engine/backend/wasmGradients';
import { MATMUL_TUNING } from '../src-main/engine/backend/wasm/matMul';
import { arg, medianCpuMs } from './support/timing';

const REPS = Number(arg('--reps', '20'));

const CASES: [string, number[], number[], boolean, boolean][] = [
  ['mnist-cnn dense x·W', [64, 3136], [3136, 128], false, false],
  ['mnist-cnn dense xᵀ·dy', [64, 3136], [64, 128], true, false],
  ['mnist-cnn dense dy·Wᵀ', [64, 128], [3136, 128], false, true],
  ['MLP 784-128 layer 1 x·W', [128, 784], [784, 128], false, false],
  ['MLP 784-128 layer 1 xᵀ·dy', [128, 784], [128, 128], true, false],
  ['MLP 784-128 layer 2 dy·Wᵀ', [128, 10], [128, 10], false, true],
  ['MLP 784-1000 layer 1 xᵀ·dy, batch 32', [32, 784], [32, 1000], true, false],
];

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  for (const [name, aShape, bShape, ta, tb] of CASES) {
    const a = tf.randomNormal(aShape, 0, 1, 'float32', 1);
    const b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
    const cells: string[] = [];
    let reference: Float32Array | null = null;
    for (const simd of [true, false, true, false]) {
      MATMUL_TUNING.simd = simd;
      const values = tf.tidy(() => tf.matMul(a, b, ta, tb).dataSync() as Float32Array);
      if (reference) {
        let scale = 0;
        let err = 0;
        for (let i = 0; i < values.length; i++) {
          scale = Math.max(scale, Math.abs(reference[i]!));
          err = Math.max(err, Math.abs(values[i]! - reference[i]!));
        }
        if (!(err <= 1e-5 * scale)) throw new Error(`${name}: the two paths differ by ${err} (scale ${scale})`);
      } else reference = values;
      const ms = medianCpuMs(() => tf.tidy(() => void tf.matMul(a, b, ta, tb)), REPS);
      cells.push(`${simd ? 'SIMD' : 'XNNPACK'} ${ms.toFixed(3)}`);
    }
    MATMUL_TUNING.simd = true;
    console.log(`${name} [${aShape}]${ta ? 'ᵀ' : ''} · [${bShape}]${tb ? 'ᵀ' : ''} ms/call: ${cells.join('  ')}`);
    tf.dispose([a, b]);
  }
}

void main();
