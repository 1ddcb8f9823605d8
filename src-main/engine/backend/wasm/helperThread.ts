/**
 * One helper thread of the wasm engine (kernelWorker.ts) and its shared buffer: the protocol
 * both sides speak. A job's float32 inputs are copied into the SharedArrayBuffer, the job is
 * posted, and the engine's thread (which must stay synchronous: it waits inside a kernel or a
 * training step) blocks on the buffer's state word with Atomics.wait until the worker stores
 * `done` or `failed` there. Two kinds of job: one kernel call on part of a batch (batchSplit.ts)
 * and one replica task of data-parallel training (replica.ts).
 */
import type { Worker } from 'node:worker_threads';

/** Control words at the start of the shared buffer: state, then the error text's length. */
export const CONTROL_BYTES = 64;
/** The error text's room, after the control words. */
export const ERROR_BYTES = 4096;
/** Where inputs and outputs start. */
export const DATA_OFFSET = CONTROL_BYTES + ERROR_BYTES;
export const STATE = { idle: 0, busy: 1, done: 2, failed: 3 } as const;
/** How long the engine waits for a worker before it gives up on it. */
const TIMEOUT_MS = 60_000;

/** An input as posted to a worker: where in the shared buffer it lies. */
export interface JobInput {
  name: string;
  shape: number[];
  offset: number;
}

/** A kernel call on part of a batch. */
export interface KernelTask {
  kind: 'kernel';
  kernel: string;
  attrs: Record<string, unknown>;
}

/** A task of a data-parallel replica (replica.ts); the message is validated there. */
export interface ReplicaTask {
  kind: 'replica';
  message: unknown;
}

export type Task = KernelTask | ReplicaTask;

/** What a worker is asked to compute. */
export type Job = Task & {
  inputs: JobInput[];
  out: { offset: number; elements: number };
  /** A larger buffer, replacing the worker's, when the job does not fit the last one. */
  buffer?: SharedArrayBuffer;
};

export interface TaskInput {
  name: string;
  shape: number[];
  data: Float32Array;
}

export const align = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** One worker thread and its shared buffer. */
export class Helper {
  private buffer: SharedArrayBuffer;
  private control: Int32Array;
  private outOffset = 0;
  private outElements = 0;
  /** Why the worker is gone (heard between kernels: this thread's event loop runs then). */
  private gone: string | null = null;

  constructor(
    private readonly worker: Worker,
    buffer: SharedArrayBuffer,
  ) {
    this.buffer = buffer;
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    worker.on('exit', (code) => (this.gone ??= `exited with code ${code}`));
    worker.on('error', (error) => (this.gone ??= error.message));
  }

  /** Copies the task's inputs into the shared buffer and posts it. */
  post(task: Task, inputs: TaskInput[], outElements: number): void {
    if (this.gone !== null) throw new Error(`a kernel worker thread ${this.gone}`);
    let offset = DATA_OFFSET;
    const placed: JobInput[] = inputs.map((input) => {
      const at = offset;
      offset = align(offset + input.data.byteLength);
      return { name: input.name, shape: input.shape, offset: at };
    });
    const out = { offset, elements: outElements };
    const needed = offset + outElements * 4;
    let grown: SharedArrayBuffer | undefined;
    if (needed > this.buffer.byteLength) {
      grown = new SharedArrayBuffer(align(Math.max(needed, this.buffer.byteLength * 1.5)));
      this.buffer = grown;
      this.control = new Int32Array(grown, 0, CONTROL_BYTES / 4);
    }
    inputs.forEach((input, i) => new Float32Array(this.buffer, placed[i]!.offset, input.data.length).set(input.data));
    this.outOffset = out.offset;
    this.outElements = outElements;
    Atomics.store(this.control, 0, STATE.busy);
    const job: Job = { ...task, inputs: placed, out, ...(grown ? { buffer: grown } : {}) };
    this.worker.postMessage(job);
  }

  /** Waits for the posted job; its output, a view of the shared buffer. */
  wait(): Float32Array {
    const deadline = Date.now() + TIMEOUT_MS;
    while (Atomics.load(this.control, 0) === STATE.busy) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`a kernel worker thread did not answer within ${TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.control, 0, STATE.busy, left);
    }
    const state = Atomics.load(this.control, 0);
    Atomics.store(this.control, 0, STATE.idle);
    if (state !== STATE.done) {
      const length = Atomics.load(this.control, 1);
      const text = new TextDecoder().decode(new Uint8Array(this.buffer, CONTROL_BYTES, Math.min(length, ERROR_BYTES)).slice());
      throw new Error(`a kernel worker thread failed: ${text || 'no reason given'}`);
    }
    return new Float32Array(this.buffer, this.outOffset, this.outElements);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The worker's side: signals a job's end through the state word, with the error text on failure. */
export function finishJob(buffer: SharedArrayBuffer, error: unknown | null): void {
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  if (error === null) Atomics.store(control, 0, STATE.done);
  else {
    const text = new TextEncoder().encode(error instanceof Error ? error.message : String(error)).subarray(0, ERROR_BYTES);
    new Uint8Array(buffer, CONTROL_BYTES, text.length).set(text);
    Atomics.store(control, 1, text.length);
    Atomics.store(control, 0, STATE.failed);
  }
  Atomics.notify(control, 0);
}
