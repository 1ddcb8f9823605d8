/**
 * The CNN's convolution kernels, call by call, on each path (the pooling gradient, sums and adds:
 * bench/simd-kernels.ts).
 *
 *   npm run bench -- filter-grad [--reps N] [--group-kib 0,256,768,1536]
 *
 * Conv2DBackpropFilter on the throughput bench's shapes (batch 128: conv1 x [128, 28, 28, 1],
 * 16 filters 3×3 same; conv2 x [128, 14, 14, 16], 32 filters) on every path of
 * convGradients.ts (the SIMD kernel 'runs' and XNNPACK's three; the swapped convolution for each
 * group size in KiB of dy, 0: the whole batch in one group); the forward Conv2D of both layers and
 * conv2's input gradient (a forward convolution of padded dy) on the SIMD kernel and on XNNPACK,
 * with a fresh filter each call as in training. CPU time per call (median of --reps calls after
 * warm-up), on one thread.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../src-main/engine/backend/wasmGradients';
import { CONV_SIMD } from '../src-main/engine/backend/wasm/convSimd';
import { FILTER_GRAD_TUNING, type FilterGradientPath } from '../src-main/engine/backend/wasm/convGradients';
import { arg, medianCpuMs } from './support/timing';

const REPS = Number(arg('--reps', '30'));
const GROUP_KIB = arg('--group-kib', '0,256,768,1536').split(',').map(Number);

const time = (run: () => void): number => medianCpuMs(run, REPS);

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  const convs = [
    { name: 'conv1', x: [128, 28, 28, 1], filterShape: [3, 3, 1, 16] },
    { name: 'conv2', x: [128, 14, 14, 16], filterShape: [3, 3, 16, 32] },
  ] as const;
  for (const conv of convs) {
    const x = tf.randomNormal(conv.x as unknown as number[], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([conv.x[0], conv.x[1], conv.x[2], conv.filterShape[3]], 0, 1, 'float32', 2);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], filterShape: conv.filterShape as unknown as number[] };
    const paths: FilterGradientPath[] = conv.name === 'conv1' ? ['im2col', 'runs'] : ['swapped', 'dyImage', 'im2col', 'runs'];
    for (const path of paths) {
      const cells: string[] = [];
      for (const kib of path === 'swapped' ? GROUP_KIB : [0]) {
        FILTER_GRAD_TUNING.path = path;
        FILTER_GRAD_TUNING.groupBytes = kib * 1024;
        const ms = time(() => (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dispose());
        cells.push(`${kib} KiB: ${ms.toFixed(2)}`);
      }
      console.log(`Conv2DBackpropFilter ${conv.name} x [${conv.x}] ${path} ms/call: ${cells.join('  ')}`);
    }
    tf.dispose([x, dy]);
  }
  // The forward convolutions and conv2's input gradient (a forward convolution of padded dy),
  // on the SIMD kernel and on XNNPACK, alternating.
  const forwards = [
    { name: 'conv1 forward', x: [128, 28, 28, 1], filter: [3, 3, 1, 16], pad: 'same' },
    { name: 'conv2 forward', x: [128, 14, 14, 16], filter: [3, 3, 16, 32], pad: 'same' },
    { name: 'conv2 input gradient', x: [128, 16, 16, 32], filter: [3, 3, 32, 16], pad: 'valid' },
  ] as const;
  for (const conv of forwards) {
    const x = tf.randomNormal(conv.x as unknown as number[], 0, 1, 'float32', 5);
    const filter = tf.randomNormal(conv.filter as unknown as number[], 0, 1, 'float32', 6);
    const attrs = { strides: [1, 1], pad: conv.pad, dataFormat: 'NHWC', dilations: [1, 1] };
    const cells: string[] = [];
    for (const simd of [true, false]) {
      CONV_SIMD.forward = simd;
      // A fresh filter each call, as in training (XNNPACK packs a filter the first time it sees it).
      const ms = time(() => {
        const f = tf.clone(filter);
        (tf.engine().runKernel('Conv2D', { x, filter: f }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dispose();
        f.dispose();
      });
      cells.push(`${simd ? 'SIMD' : 'XNNPACK'}: ${ms.toFixed(2)}`);
    }
    CONV_SIMD.forward = true;
    console.log(`Conv2D ${conv.name} x [${conv.x}] filter [${conv.filter}] ms/call: ${cells.join('  ')}`);
    tf.dispose([x, filter]);
  }
}

void main();
