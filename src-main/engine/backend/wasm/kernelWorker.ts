/**
 * A kernel worker thread (batchSplit.ts): its own tfjs wasm backend with Trainbench's kernels,
 * computing the parts of split kernels that the engine's thread posts. Inputs and output lie in
 * the SharedArrayBuffer it was given (or a larger one sent with a job); the result is signalled
 * through the buffer's state word, since the posting thread waits synchronously. Built as its
 * own entry (out/main/kernelWorker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../wasmGradients';
import { CONTROL_BYTES, ERROR_BYTES, STATE, type Job } from './batchSplit';
import { prod, type Info, type KernelFn, type WasmBackendFull } from './kernelOps';

const port = parentPort;
if (!port) throw new Error('kernelWorker runs as a worker thread');
let buffer = (workerData as { buffer: SharedArrayBuffer }).buffer;

function run(job: Job): void {
  if (job.buffer) buffer = job.buffer;
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  const backend = tf.backend() as unknown as WasmBackendFull;
  const made: Info[] = [];
  try {
    const inputs: Record<string, Info> = {};
    for (const input of job.inputs) {
      const info = backend.makeOutput(input.shape, 'float32', undefined, new Float32Array(buffer, input.offset, prod(input.shape)));
      made.push(info);
      inputs[input.name] = info;
    }
    const kernel = tf.getKernel(job.kernel, 'wasm')?.kernelFunc as KernelFn | undefined;
    if (!kernel) throw new Error(`wasm kernel "${job.kernel}" is not registered in the worker`);
    const out = kernel({ inputs, backend, attrs: job.attrs });
    if (Array.isArray(out)) throw new Error(`${job.kernel} returned several outputs`);
    made.push(out);
    const values = backend.typedArrayFromHeap(out);
    if (values.length !== job.out.elements) throw new Error(`${job.kernel}: the part's output has ${values.length} elements, expected ${job.out.elements}`);
    new Float32Array(buffer, job.out.offset, job.out.elements).set(values);
    Atomics.store(control, 0, STATE.done);
  } catch (error) {
    const text = new TextEncoder().encode(error instanceof Error ? error.message : String(error)).subarray(0, ERROR_BYTES);
    new Uint8Array(buffer, CONTROL_BYTES, text.length).set(text);
    Atomics.store(control, 1, text.length);
    Atomics.store(control, 0, STATE.failed);
  } finally {
    for (const info of made) backend.disposeData(info.dataId);
    Atomics.notify(control, 0);
  }
}

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise in the worker');
  await tf.ready();
  port!.on('message', (job: Job) => run(job));
  port!.postMessage({ ready: true });
}

main().catch((error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }));
