/**
 * Trainbench's SIMD kernel module: the committed binary is what its source compiles to, and the
 * engine falls back (with a reason) where the module cannot run on a backend. What the kernels
 * compute is tested against the cpu backend through the kernels that use them
 * (wasmKernelPaths.test.ts: every path of Conv2DBackpropFilter).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSimdKernels, simdModuleSource } from '../../scripts/simdKernelsSource.mjs';
import { KERNELS_WASM_BASE64 } from '../../src-main/engine/backend/wasm/simd/kernelsBinary';
import { simdKernels, simdUnavailable } from '../../src-main/engine/backend/wasm/simd/simdKernels';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('SIMD kernels', () => {
  it('the committed binary is the .wat sources compiled (run `npm run build:simd` after editing one)', async () => {
    const source = simdModuleSource(join(__dirname, '../../src-main/engine/backend/wasm/simd'));
    const compiled = Buffer.from(await compileSimdKernels(source)).toString('base64');
    expect(KERNELS_WASM_BASE64).toBe(compiled);
  });

  it('instantiates on the wasm backend once, sharing its memory', () => {
    const kernels = simdKernels(tf.backend());
    expect(kernels).not.toBeNull();
    expect(simdKernels(tf.backend())).toBe(kernels);
    expect(typeof kernels!.gemmRuns).toBe('function');
  });

  it('says why, and returns null, for a backend whose memory it cannot reach or use', () => {
    expect(simdKernels({ wasm: {}, getMemoryOffset: () => 0 })).toBeNull();
    expect(simdUnavailable()).toMatch(/does not expose its memory/);
    // The threaded build's memory is shared: the module's import does not accept it.
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    expect(simdKernels({ wasm: { asm: { memory: shared } }, getMemoryOffset: () => 0 })).toBeNull();
    expect(simdUnavailable()).toMatch(/cannot use this wasm backend's memory/);
  });
});
