/**
 * Picks the tfjs backend: the best one present, in the order of DESIGN.md, or the one forced.
 * The native packages are optional dependencies loaded with `require` at run time, never
 * bundled (tfjs#1054, tfjs#2763): their absence is a reason shown to the user, not a crash.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import type { BackendAvailability, BackendName } from '@contract';
import { registerWasmGradientKernels } from './wasmGradients';

const nodeRequire = createRequire(__filename);

/** The ladder, best first. `tfjsName` is the name tfjs registers the backend under. */
const LADDER: { name: BackendName; package: string; tfjsName: string }[] = [
  { name: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu', tfjsName: 'tensorflow' },
  { name: 'tensorflow', package: '@tensorflow/tfjs-node', tfjsName: 'tensorflow' },
  { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', tfjsName: 'wasm' },
  { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', tfjsName: 'cpu' },
];

export interface BackendChoice {
  backend: BackendName;
  backends: BackendAvailability[];
}

function shorten(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n').find((line) => line.trim().length > 0) ?? text;
  return first.length > 240 ? `${first.slice(0, 237)}...` : first;
}

/** Tries to load one rung; returns null when it works, or why it does not. */
async function tryLoad(rung: (typeof LADDER)[number]): Promise<string | null> {
  try {
    if (rung.name === 'tensorflow-gpu' || rung.name === 'tensorflow') {
      // Resolving first tells "not installed" apart from "installed but libtensorflow missing".
      try {
        nodeRequire.resolve(rung.package);
      } catch {
        return `${rung.package} is not installed (optional dependency; its install downloads libtensorflow, which needs internet)`;
      }
      nodeRequire(rung.package);
      if (!tf.findBackend(rung.tfjsName)) return `${rung.package} loaded but registered no "${rung.tfjsName}" backend`;
      if (rung.name === 'tensorflow-gpu' && !process.env['CUDA_VISIBLE_DEVICES'] && !hasNvidiaDevice()) {
        return 'no NVIDIA GPU found (/dev/nvidia0 absent)';
      }
      return null;
    }
    if (rung.name === 'wasm') {
      nodeRequire('@tensorflow/tfjs-backend-wasm');
      registerWasmGradientKernels(tf);
      return null;
    }
    return null;
  } catch (error) {
    return shorten(error);
  }
}

function hasNvidiaDevice(): boolean {
  try {
    return existsSync('/dev/nvidia0');
  } catch {
    return false;
  }
}

/**
 * Loads what can be loaded and sets the backend. With `forced`, that backend or an error
 * saying why it cannot be had; without, the first rung that initialises.
 */
export async function selectBackend(forced?: BackendName): Promise<BackendChoice> {
  const backends: BackendAvailability[] = [];
  let chosen: BackendName | null = null;
  let nativeLoaded = false;
  for (const rung of LADDER) {
    // tensorflow-gpu and tensorflow both register "tensorflow": once the GPU one loaded, the
    // CPU package must not be required on top of it.
    let reason = rung.name === 'tensorflow' && nativeLoaded ? 'superseded by tensorflow-gpu' : await tryLoad(rung);
    if (reason === null && (rung.name === 'tensorflow-gpu' || rung.name === 'tensorflow')) nativeLoaded = true;
    if (reason === null && chosen === null && (!forced || forced === rung.name)) {
      try {
        const ok = await tf.setBackend(rung.tfjsName);
        if (!ok) reason = `tf.setBackend("${rung.tfjsName}") failed to initialise`;
        else chosen = rung.name;
      } catch (error) {
        reason = shorten(error);
      }
    }
    backends.push({ name: rung.name, package: rung.package, available: reason === null, reason });
  }
  if (chosen === null) {
    const why = backends.find((b) => b.name === forced)?.reason ?? 'no backend initialised';
    throw new Error(forced ? `backend "${forced}" is not available: ${why}` : `no tfjs backend could be initialised: ${why}`);
  }
  await tf.ready();
  return { backend: chosen, backends };
}
