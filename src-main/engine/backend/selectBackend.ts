/**
 * Picks the tfjs backend: the best one present, in the order of DESIGN.md, or the one forced.
 * The native packages are optional dependencies loaded with `require` at run time, never
 * bundled (tfjs#1054, tfjs#2763): their absence is a reason shown to the user, not a crash.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendAvailability, BackendName } from '@contract';
import { KernelThreads, registerWasmGradientKernels, splitWasmKernels } from './wasmGradients';

const nodeRequire = createRequire(__filename);

/** The ladder, best first. `tfjsName` is the name tfjs registers the backend under. */
const LADDER: { name: BackendName; package: string; tfjsName: string }[] = [
  { name: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu', tfjsName: 'tensorflow' },
  { name: 'tensorflow', package: '@tensorflow/tfjs-node', tfjsName: 'tensorflow' },
  { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', tfjsName: 'wasm' },
  { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', tfjsName: 'cpu' },
];

export interface ThreadsInfo {
  count: number;
  reason: string | null;
}

export interface BackendChoice {
  backend: BackendName;
  backends: BackendAvailability[];
  /** The threads the heavy kernels use now (a worker that fails drops them to one); native backends manage their own. */
  threads(): ThreadsInfo | undefined;
}

/** Most threads a split kernel uses by default: more parts copy more for less work each. */
const MAX_THREADS = 4;

/**
 * How many threads the wasm backend's heavy kernels split across: TRAINBENCH_THREADS when set
 * (1 turns splitting off), else the cores available, at most MAX_THREADS.
 */
function threadsWanted(): ThreadsInfo {
  const env = process.env['TRAINBENCH_THREADS'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 64) return { count: 1, reason: `TRAINBENCH_THREADS="${env}" is not a whole number from 1 to 64; using one thread` };
    return { count: n, reason: n === 1 ? 'TRAINBENCH_THREADS=1' : null };
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (cores <= 1) return { count: 1, reason: 'one core' };
  return { count: Math.min(cores, MAX_THREADS), reason: null };
}

/**
 * Starts the kernel worker threads of the wasm backend (wasm/batchSplit.ts) beside the built
 * engine (out/main/kernelWorker.js) and splits the heavy kernels across them.
 */
async function startKernelThreads(): Promise<() => ThreadsInfo> {
  const wanted = threadsWanted();
  if (wanted.count <= 1) return () => wanted;
  const script = join(__dirname, 'kernelWorker.js');
  if (!existsSync(script)) return () => ({ count: 1, reason: `no kernel worker script at ${script} (not a built engine)` });
  try {
    const threads = await KernelThreads.start(script, wanted.count - 1);
    splitWasmKernels(tf, threads);
    return () => ({ count: threads.threads, reason: threads.failure === null ? null : `a kernel worker thread failed, one thread since: ${threads.failure}` });
  } catch (error) {
    const reason = `kernel worker threads did not start: ${shorten(error)}`;
    return () => ({ count: 1, reason });
  }
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
  let threads: () => ThreadsInfo | undefined = () => undefined;
  if (chosen === 'wasm') threads = await startKernelThreads();
  else if (chosen === 'cpu') threads = () => ({ count: 1, reason: 'the cpu backend runs on one thread' });
  return { backend: chosen, backends, threads };
}
