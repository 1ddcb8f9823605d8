/**
 * Gradient kernels for the tfjs wasm backend: the one it lacks, and faster versions of those it
 * has as slow scalar loops or that XNNPACK runs slowly in training, built on WebAssembly SIMD
 * kernels of Trainbench's own (`wasm/simd/*.wat`: the convolutions and their gradients,
 * max-pool gradients, bias sums and adds), on the wasm kernels that run on XNNPACK (BatchMatMul
 * without transposes) or move memory (Transpose, Reshape), or on JavaScript loops over the wasm
 * heap. XNNPACK packs a convolution's filter the first time it sees the tensor, and a training
 * step's filters are new tensors every step, so it packed on every call; the SIMD kernels read
 * every operand where it lies. Where they cannot run (`simdKernels` is null) the XNNPACK and
 * JavaScript paths remain.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 registers no `Conv2DBackpropFilter`, so training any
 * conv2d layer on wasm throws; every other gradient the palette needs (dense, conv2d, pooling,
 * flatten, dropout, batch normalisation, the activations) exists. Measured in Node 20 on one
 * thread, its own kernels that dominate a training step are: `Conv2DBackpropInput` (a scalar
 * loop, ~12x slower than the forward conv), `MaxPoolGrad` and `AvgPoolGrad` (scalar loops,
 * 20-35x slower than the forward pool), and `BatchMatMul`/`_FusedMatMul` with a transposed operand
 * (only `a @ b` reaches XNNPACK; `aᵀ @ b` and `a @ bᵀ`, which every dense layer's backward pass
 * uses, run a blocked scalar loop 5-10x slower, whose `_FusedMatMul` also adds the bias wrongly).
 *
 * This module is the registry; the kernels are in `wasm/`: `convSimd.ts` (`Conv2D` and
 * `FusedConv2D`, the SIMD filter gradient), `convGradients.ts` (conv2d filter and
 * input gradients), `poolGradients.ts` (max and average pooling gradients), `matMul.ts`
 * (transposed and fused matrix products, copy-free Identity/Cast), `reductions.ts` (`Sum` over
 * leading axes, the bias gradients), `elementwise.ts` (`Add` of a broadcast bias),
 * `squaredNorms.ts` (a kernel of our own: the training step's norms in one call), on the
 * helpers of `kernelOps.ts` and the SIMD kernels of `simd/`; `threads.ts` holds the experimental
 * threaded build.
 *
 * `registerWasmGradientKernels(tf)` works on whichever tfjs module it is given (the throughput
 * bench passes its own); without an argument it uses the engine's `@tensorflow/tfjs`.
 * `enableWasmThreads` (experimental, not used by the engine) runs the wasm backend on two or
 * more threads in Node.
 */
import * as tfEngine from '@tensorflow/tfjs';
import type * as TfModule from '@tensorflow/tfjs';
import { BACKEND, type KernelFn, type TF } from './wasm/kernelOps';
import { conv2DBackpropFilter, conv2DBackpropInput } from './wasm/convGradients';
import { simdConv2D } from './wasm/convSimd';
import { avgPoolGrad, maxPoolGrad } from './wasm/poolGradients';
import { fusedMatMul, sharedIdentity, untransposedMatMul } from './wasm/matMul';
import { leadingAxesSum } from './wasm/reductions';
import { broadcastAdd } from './wasm/elementwise';
import { ACCURACY, accuracy, SQUARED_NORMS, squaredNorms } from './wasm/squaredNorms';
import { UNIT_STATISTICS, unitStatistics } from './wasm/unitStatistics';

import { splitRules } from './wasm/splitRules';
import { useKernelThreads, type KernelThreads } from './wasm/batchSplit';

export { enableWasmThreads, type WasmBackendModule } from './wasm/threads';
export { KernelThreads, kernelThreads, useKernelThreads } from './wasm/batchSplit';

/** Marks kernel functions installed here, so a second call recognises them. */
const MARK = Symbol.for('trainbench.wasmGradients');
/** Marks kernels wrapped by `splitWasmKernels`. */
const SPLIT = Symbol.for('trainbench.wasmSplit');

export interface WasmGradientOptions {
  /**
   * Also replace the wasm kernels that exist but are slow scalar loops (`Conv2DBackpropInput`,
   * `MaxPoolGrad`, `AvgPoolGrad`, transposed `BatchMatMul`, `_FusedMatMul`, `Sum` over leading
   * axes, `Add` of a broadcast operand, copying `Identity` and `Cast`) by faster
   * compositions; the replaced kernel stays the fallback for the cases a fast path does not
   * cover. `true` (the default) replaces all, `false` none, a list of kernel names only those
   * (the throughput bench measures them one by one).
   */
  fastPaths?: boolean | string[];
}

type Installer = (tf: TF, previous: KernelFn | undefined) => KernelFn | null;

/** Kernels the wasm backend does not register at all. */
const MISSING: Record<string, Installer> = {
  Conv2DBackpropFilter: (tf) => conv2DBackpropFilter(tf),
  /** Not a tfjs kernel: the training step's norms in one call (wasm/squaredNorms.ts). */
  [SQUARED_NORMS]: () => squaredNorms(),
  /** Not a tfjs kernel: a step's accuracy in one call (wasm/squaredNorms.ts). */
  [ACCURACY]: () => accuracy(),
  /** Not a tfjs kernel: the probe's per-unit statistics of a layer in one call (wasm/unitStatistics.ts). */
  [UNIT_STATISTICS]: () => unitStatistics(),
};

/** Kernels the wasm backend registers as slow loops; replaced only when they exist. */
const FAST_PATHS: Record<string, Installer> = {
  Conv2D: (tf, previous) => (previous ? simdConv2D(tf, previous) : null),
  FusedConv2D: (tf, previous) => (previous ? simdConv2D(tf, previous) : null),
  Conv2DBackpropInput: (tf, previous) => (previous ? conv2DBackpropInput(tf) : null),
  MaxPoolGrad: (tf, previous) => (previous ? maxPoolGrad(tf, previous) : null),
  AvgPoolGrad: (tf, previous) => (previous ? avgPoolGrad(tf, previous) : null),
  BatchMatMul: (tf, previous) => (previous ? untransposedMatMul(tf, previous) : null),
  _FusedMatMul: (tf, previous) => (previous ? fusedMatMul(tf, previous) : null),
  Sum: (tf, previous) => (previous ? leadingAxesSum(tf, previous) : null),
  Add: (tf, previous) => (previous ? broadcastAdd(tf, previous) : null),
  Identity: (_tf, previous) => (previous ? sharedIdentity(previous, false) : null),
  Cast: (_tf, previous) => (previous ? sharedIdentity(previous, true) : null),
};

const isOurs = (fn: unknown): boolean => typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[MARK] === true;

/**
 * Registers the gradient kernel the tfjs wasm backend lacks (`Conv2DBackpropFilter`) and, unless
 * `options.fastPaths` says otherwise, replaces its slow kernels, for backend 'wasm'. Idempotent:
 * a missing kernel is registered only while absent, a slow one is replaced only while it is
 * still the backend's own (kernels installed here are marked and recognised). Returns the names
 * of the kernels registered by this call.
 *
 * May be called before or after `tf.setBackend('wasm')`; the replaced kernels' setup functions
 * are kept, so a later backend initialisation still runs them.
 */
export function registerWasmGradientKernels(tf: TF = tfEngine, options: WasmGradientOptions = {}): string[] {
  const registered: string[] = [];
  const install = (name: string, make: Installer, replace: boolean): void => {
    const existing = tf.getKernel(name, BACKEND);
    if (existing && (isOurs(existing.kernelFunc) || !replace)) return;
    const previous = existing?.kernelFunc as KernelFn | undefined;
    const kernelFunc = make(tf, previous);
    if (!kernelFunc) return;
    (kernelFunc as unknown as Record<symbol, unknown>)[MARK] = true;
    if (existing) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({
      kernelName: name,
      backendName: BACKEND,
      kernelFunc: kernelFunc as unknown as TfModule.KernelFunc,
      ...(existing?.setupFunc ? { setupFunc: existing.setupFunc } : {}),
      ...(existing?.disposeFunc ? { disposeFunc: existing.disposeFunc } : {}),
    });
    registered.push(name);
  };
  for (const [name, make] of Object.entries(MISSING)) install(name, make, false);
  const fast = options.fastPaths ?? true;
  for (const [name, make] of Object.entries(FAST_PATHS)) {
    if (fast === true || (Array.isArray(fast) && fast.includes(name))) install(name, make, true);
  }
  return registered;
}

/**
 * Wraps the kernels of `splitRules` (conv2d and its gradients, the pooling gradients) so that
 * their batch splits across `threads` (wasm/batchSplit.ts). Call after
 * `registerWasmGradientKernels`, which then leaves the wrapped kernels alone. Returns the names
 * wrapped.
 */
export function splitWasmKernels(tf: TF, threads: KernelThreads): string[] {
  const wrapped: string[] = [];
  for (const [name, rule] of Object.entries(splitRules(tf))) {
    const existing = tf.getKernel(name, BACKEND);
    if (!existing || (existing.kernelFunc as unknown as Record<symbol, unknown>)[SPLIT] === true) continue;
    const kernelFunc = threads.wrap(name, rule, existing.kernelFunc as unknown as KernelFn);
    (kernelFunc as unknown as Record<symbol, unknown>)[MARK] = true;
    (kernelFunc as unknown as Record<symbol, unknown>)[SPLIT] = true;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ ...existing, kernelFunc: kernelFunc as unknown as TfModule.KernelFunc });
    wrapped.push(name);
  }
  useKernelThreads(threads);
  return wrapped;
}
