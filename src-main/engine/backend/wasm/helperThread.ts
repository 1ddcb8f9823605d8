/**
 * One helper thread of the wasm engine (kernelWorker.ts) and its shared buffer: the protocol
 * both sides speak. A job's float32 inputs are copied into the SharedArrayBuffer, the job is
 * handed over, and the engine's thread (which must stay synchronous: it waits inside a kernel or
 * a training step) blocks on the buffer's state word with Atomics.wait until the worker stores
 * `done` or `failed` there. Two kinds of job: one kernel call on part of a batch (batchSplit.ts)
 * and one replica task of data-parallel training (replica.ts).
 *
 * Handing a job over: after a job the worker parks on the buffer's park word (Atomics.wait) for
 * `PARK_MS`. A job posted meanwhile is written into the buffer as JSON and the worker woken: it
 * starts at once, where a `postMessage` reaches the worker's event loop ~0.7 ms later (measured
 * inside the data-parallel step, whose halves take ~20 ms). When the worker has gone back to its
 * event loop (parked longer than PARK_MS), or the job needs a larger buffer (which only a message
 * can carry) or does not fit as JSON, the job is posted as a message; a parked worker is first
 * told to leave. The park word's compare-and-exchange decides races between a worker leaving and
 * a job arriving: the side that changes `parked` first wins.
 */
import type { Worker } from 'node:worker_threads';

/** Control words at the start of the shared buffer (Int32): state, the error text's length, park, the job's length. */
export const CONTROL_BYTES = 64;
const WORD = { state: 0, errorLength: 1, park: 2, jobLength: 3 } as const;
/** The error text's room, after the control words. */
export const ERROR_BYTES = 4096;
/** A job's JSON when it is handed over through the buffer, after the error text. */
const JOB_OFFSET = CONTROL_BYTES + ERROR_BYTES;
export const JOB_BYTES = 64 * 1024;
/** Where inputs and outputs start. */
export const DATA_OFFSET = JOB_OFFSET + JOB_BYTES;
export const STATE = { idle: 0, busy: 1, done: 2, failed: 3 } as const;
/**
 * The park word: `away` (the worker is in its event loop or computing), `parked` (waiting for a
 * job in the buffer), `claimed` (a job is being written), `ready` (the job is there), `leave` (go
 * back to the event loop: a message follows).
 */
export const PARK = { away: 0, parked: 1, claimed: 2, ready: 3, leave: 4 } as const;
/** How long a worker waits parked for its next job before it goes back to its event loop. */
export const PARK_MS = 250;
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
  /** Jobs handed over through the shared buffer, and as messages (tests read them). */
  readonly handovers = { buffer: 0, message: 0 };

  constructor(
    private readonly worker: Worker,
    buffer: SharedArrayBuffer,
  ) {
    this.buffer = buffer;
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    worker.on('exit', (code) => (this.gone ??= `exited with code ${code}`));
    worker.on('error', (error) => (this.gone ??= error.message));
  }

  /** Copies the task's inputs into the shared buffer and hands the task to the worker. */
  post(task: Task, inputs: TaskInput[], outElements: number): void {
    if (this.gone !== null) throw new Error(`a kernel worker thread ${this.gone}`);
    // Claims a parked worker: from here on it waits for this job (or for `leave`).
    const parked = Atomics.compareExchange(this.control, WORD.park, PARK.parked, PARK.claimed) === PARK.parked;
    let offset = DATA_OFFSET;
    const placed: JobInput[] = inputs.map((input) => {
      const at = offset;
      offset = align(offset + input.data.byteLength);
      return { name: input.name, shape: input.shape, offset: at };
    });
    const out = { offset, elements: outElements };
    const needed = offset + outElements * 4;
    const grows = needed > this.buffer.byteLength;
    const job: Job = { ...task, inputs: placed, out };
    const json = parked && !grows ? jobBytes(job) : null;
    if (parked && json === null) {
      // It must take this job from its event loop.
      Atomics.store(this.control, WORD.park, PARK.leave);
      Atomics.notify(this.control, WORD.park);
    }
    if (grows) {
      job.buffer = this.buffer = new SharedArrayBuffer(align(Math.max(needed, this.buffer.byteLength * 1.5)));
      this.control = new Int32Array(this.buffer, 0, CONTROL_BYTES / 4);
    }
    inputs.forEach((input, i) => new Float32Array(this.buffer, placed[i]!.offset, input.data.length).set(input.data));
    this.outOffset = out.offset;
    this.outElements = outElements;
    Atomics.store(this.control, WORD.state, STATE.busy);
    if (json !== null) {
      new Uint8Array(this.buffer, JOB_OFFSET, json.length).set(json);
      Atomics.store(this.control, WORD.jobLength, json.length);
      Atomics.store(this.control, WORD.park, PARK.ready);
      Atomics.notify(this.control, WORD.park);
      this.handovers.buffer++;
    } else {
      this.worker.postMessage(job);
      this.handovers.message++;
    }
  }

  /** Waits for the posted job; its output, a view of the shared buffer. */
  wait(): Float32Array {
    const deadline = Date.now() + TIMEOUT_MS;
    while (Atomics.load(this.control, WORD.state) === STATE.busy) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`a kernel worker thread did not answer within ${TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.control, WORD.state, STATE.busy, left);
    }
    const state = Atomics.load(this.control, WORD.state);
    Atomics.store(this.control, WORD.state, STATE.idle);
    if (state !== STATE.done) {
      const length = Atomics.load(this.control, WORD.errorLength);
      const text = new TextDecoder().decode(new Uint8Array(this.buffer, CONTROL_BYTES, Math.min(length, ERROR_BYTES)).slice());
      throw new Error(`a kernel worker thread failed: ${text || 'no reason given'}`);
    }
    return new Float32Array(this.buffer, this.outOffset, this.outElements);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * A job as UTF-8 JSON for the buffer, or null when it does not fit or JSON would change it (a
 * non-finite number): then it goes as a message.
 */
function jobBytes(job: Job): Uint8Array | null {
  let exact = true;
  const text = JSON.stringify(job, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) exact = false;
    return value;
  });
  const bytes = new TextEncoder().encode(text);
  return exact && bytes.length <= JOB_BYTES ? bytes : null;
}

/**
 * The worker's side after a job: parks (before signalling the end, so that the engine, once it
 * sees the end, finds the worker parked), signals the end through the state word (with the error
 * text on failure), then waits up to `parkMs` for the next job. Returns that job, or null when the
 * worker should go back to its event loop (it waited long enough, or was told to).
 */
export function finishJob(buffer: SharedArrayBuffer, error: unknown | null, parkMs = PARK_MS): Job | null {
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  Atomics.store(control, WORD.park, parkMs > 0 ? PARK.parked : PARK.away);
  if (error === null) Atomics.store(control, WORD.state, STATE.done);
  else {
    const text = new TextEncoder().encode(error instanceof Error ? error.message : String(error)).subarray(0, ERROR_BYTES);
    new Uint8Array(buffer, CONTROL_BYTES, text.length).set(text);
    Atomics.store(control, WORD.errorLength, text.length);
    Atomics.store(control, WORD.state, STATE.failed);
  }
  Atomics.notify(control, WORD.state);
  if (parkMs <= 0) return null;
  for (;;) {
    const park = Atomics.load(control, WORD.park);
    if (park === PARK.ready) {
      const length = Atomics.load(control, WORD.jobLength);
      Atomics.store(control, WORD.park, PARK.away);
      return JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, JOB_OFFSET, length).slice())) as Job;
    }
    if (park === PARK.leave) {
      Atomics.store(control, WORD.park, PARK.away);
      return null;
    }
    if (park === PARK.parked) {
      // Leaves only if no job claimed it meanwhile.
      if (Atomics.wait(control, WORD.park, PARK.parked, parkMs) === 'timed-out' && Atomics.compareExchange(control, WORD.park, PARK.parked, PARK.away) === PARK.parked) return null;
    } else Atomics.wait(control, WORD.park, park, 1000);
  }
}
