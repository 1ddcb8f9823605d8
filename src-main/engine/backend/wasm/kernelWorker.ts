/**
 * A kernel worker thread (batchSplit.ts): its own tfjs wasm backend with Trainbench's kernels,
 * computing the parts of split kernels, and the replicas' steps of data-parallel training
 * (training/replica.ts), that the engine's thread hands over (helperThread.ts: as a message, or
 * through the buffer while this thread waits parked after a job). Inputs and output lie in the
 * SharedArrayBuffer it was given (or a larger one sent with a job); the result is signalled
 * through the buffer's state word, since the posting thread waits synchronously. Built as its
 * own entry (out/main/kernelWorker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../wasmGradients';
import { runReplicaTask } from '../../training/replica';
import { finishJob, PARK_MS, type Job, type KernelTask } from './helperThread';
import { prod, type Info, type KernelFn, type WasmBackendFull } from './kernelOps';

const port = parentPort;
if (!port) throw new Error('kernelWorker runs as a worker thread');
const data = workerData as { buffer: SharedArrayBuffer; parkMs?: number };
let buffer = data.buffer;
/** How long to wait parked for the next job (helperThread.ts); 0: always back to the event loop. */
const parkMs = data.parkMs ?? PARK_MS;

/** One kernel call on a part of a batch: the inputs are copied onto the heap, the output off it. */
function runKernel(job: KernelTask & Pick<Job, 'inputs' | 'out'>): void {
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
  } finally {
    for (const info of made) backend.disposeData(info.dataId);
  }
}

/** Runs `job`, then each job handed over through the buffer while this thread stays parked. */
function serve(first: Job): void {
  let job: Job | null = first;
  while (job !== null) {
    if (job.buffer) buffer = job.buffer;
    job = finishJob(buffer, run(job), parkMs);
  }
}

/** One job; its error, or null. */
function run(job: Job): unknown {
  let failure: unknown = null;
  try {
    if (job.kind === 'kernel') runKernel(job);
    else {
      const inputs: Record<string, Float32Array> = {};
      for (const input of job.inputs) inputs[input.name] = new Float32Array(buffer, input.offset, prod(input.shape));
      runReplicaTask(job.message, inputs, new Float32Array(buffer, job.out.offset, job.out.elements));
    }
  } catch (error) {
    failure = error;
  }
  return failure;
}

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise in the worker');
  await tf.ready();
  port!.on('message', (job: Job) => serve(job));
  port!.postMessage({ ready: true });
}

main().catch((error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }));
