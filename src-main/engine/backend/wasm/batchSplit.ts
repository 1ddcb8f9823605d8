/**
 * Intra-op parallelism for the wasm backend in Node: the heavy kernels of a training step split
 * their batch across threads. tfjs 4.22 runs the wasm backend on one thread in Node (its
 * threaded build is off there, tfjs#3830), so on a machine with two cores a conv net trains on
 * half of it. Here each of `threads − 1` worker threads holds its own wasm backend (the same
 * kernels, `kernelWorker.ts`); a wrapped kernel (Conv2D, the conv2d and pooling gradients)
 * copies the later parts of its batch into a SharedArrayBuffer, posts them to the workers,
 * computes the first part itself, then waits (Atomics.wait: the kernel is synchronous) and
 * joins the parts: concatenated along the batch, or summed for the filter gradient.
 *
 * Every sample of a convolution or a pooling is computed by the same code whichever thread
 * runs it, so concatenated outputs are bit-identical to one thread's. A filter gradient is a sum
 * over the batch: it is always computed in the same parts, added in a fixed order (on one thread
 * one after another when it does not split), so its result depends on the number of threads and
 * not on anything else (it differs from a single thread's in the last bits).
 *
 * A call is split only when its work is large against the elements a split copies
 * (`SplitRule.work`, `minWorkPerCopied`): small ones (the 2-D presets, probes of a few samples,
 * MNIST's first conv layer) run on the calling thread. Among the calls that may split, each call
 * shape keeps the recent wall times of split and whole runs and takes the faster (`Choice`):
 * when another process has the other core, waiting for a worker is slower than one thread.
 * A worker that fails or does not answer in `TIMEOUT_MS` turns splitting off for the rest of the
 * process, with the reason kept; the call that met the failure is computed again, whole, on the
 * calling thread, so training goes on.
 */
import { Worker } from 'node:worker_threads';
import { DATA_OFFSET, Helper, type Task, type TaskInput } from './helperThread';
import { prod, type Info, type KernelArgs, type KernelFn, type WasmBackendFull } from './kernelOps';

/** How a kernel splits: which inputs are cut along axis 0, how the parts' outputs join. */
export interface SplitRule {
  /** Inputs cut along axis 0 (the batch); the others go whole to every part. */
  split: readonly string[];
  combine: 'concat' | 'sum';
  /** The output shape of a part of `n` samples. */
  outShape(inputs: Record<string, Info>, attrs: Record<string, unknown>, n: number): number[];
  /** The attributes for a part of `n` samples, when they name the batch size. */
  partAttrs?(attrs: Record<string, unknown>, n: number): Record<string, unknown>;
  /** Multiply-adds of the whole call, to weigh against the bytes a split moves. */
  work(inputs: Record<string, Info>, attrs: Record<string, unknown>): number;
  /**
   * Least work per element a split copies (the other parts' inputs and outputs) for the split
   * to pay; 0 when the kernel's own cost per element is high anyway (the pooling loops).
   */
  minWorkPerCopied?: number;
}

/**
 * Splits only when the work per element copied to and from the workers is high enough to pay
 * for the copies (and when there is enough work at all): measured on the CNN of the throughput
 * bench, see the profile-cnn bench.
 */
const MIN_WORK = 4_000_000;

export interface KernelThreadsOptions {
  /** How long to wait for each worker to initialise its backend (ms). */
  readyTimeoutMs?: number;
  /** Split every call that can be split, however small (tests, benches); by default calls with little work run whole. */
  always?: boolean;
  /** How long a worker waits parked for its next job (helperThread.ts; default PARK_MS, 0: never parks). */
  parkMs?: number;
}

export class KernelThreads {
  /** Why splitting stopped, once it has. */
  failure: string | null = null;
  /**
   * True while a split call runs: a kernel that the calling thread's part runs inside it (the
   * conv2d gradients run Conv2D) runs whole, since the workers are busy with the outer call.
   */
  private splitting = false;

  /** Calls split so far (tests and benches read it). */
  splitCalls = 0;
  /** While true no call splits (benches alternate to compare on the same machine state; results are the same). */
  paused = false;

  private constructor(
    private readonly helpers: Helper[],
    private readonly always: boolean,
  ) {}

  /** Jobs handed to the workers through the shared buffers and as messages, so far (helperThread.ts). */
  get handovers(): { buffer: number; message: number } {
    return this.helpers.reduce((sum, h) => ({ buffer: sum.buffer + h.handovers.buffer, message: sum.message + h.handovers.message }), { buffer: 0, message: 0 });
  }

  /** Threads taking part in a split kernel, the calling one included. */
  get threads(): number {
    return this.failure === null ? this.helpers.length + 1 : 1;
  }

  /**
   * Starts `count` worker threads running `script` (the built kernelWorker), each initialising
   * its wasm backend; resolves once all are ready, rejects with the first one's error.
   */
  static async start(script: string, count: number, options: KernelThreadsOptions = {}): Promise<KernelThreads> {
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    const started = await Promise.allSettled(
      Array.from({ length: count }, async () => {
        const buffer = new SharedArrayBuffer(DATA_OFFSET + (16 << 20));
        const worker = new Worker(script, { workerData: { buffer, ...(options.parkMs !== undefined ? { parkMs: options.parkMs } : {}) } });
        worker.unref();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`kernel worker thread not ready after ${timeoutMs / 1000} s`)), timeoutMs);
          worker.once('message', (message: unknown) => {
            clearTimeout(timer);
            if (typeof message === 'object' && message !== null && (message as { ready?: unknown }).ready === true) resolve();
            else reject(new Error(`kernel worker thread: ${String((message as { error?: unknown } | null)?.error ?? 'unexpected first message')}`));
          });
          worker.once('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        });
        return new Helper(worker, buffer);
      }),
    );
    const helpers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(helpers.map((h) => h.terminate()));
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
    return new KernelThreads(helpers, options.always ?? false);
  }

  /** Runs `fn` with every kernel it calls run whole on this thread (the same code a worker runs). */
  whole<T>(fn: () => T): T {
    const was = this.splitting;
    this.splitting = true;
    try {
      return fn();
    } finally {
      this.splitting = was;
    }
  }

  /**
   * Runs one task on each of the first `tasks.length` worker threads while `local` runs on this
   * thread, then waits for them all; their outputs are views of the shared buffers, valid until
   * the next job. Kernels that `local` calls run whole (the workers are taken). A worker that
   * fails or is gone turns the threads off (`failure`) and throws a `ThreadFailure`, after
   * `local` has run; an error of `local` itself is thrown as it is.
   */
  parallel<T>(tasks: PostedTask[], local: () => T): { local: T; outputs: Float32Array[] } {
    if (this.failure !== null) throw new ThreadFailure(`the kernel threads are off: ${this.failure}`);
    if (this.splitting) throw new Error('internal: parallel tasks inside a split kernel');
    return this.whole(() => this.exchange(tasks, local));
  }

  /**
   * Posts `tasks` to the first `tasks.length` workers, runs `local` here, then waits for every
   * posted worker whatever happened, so that each is idle again. A worker that fails or is gone
   * turns the threads off (`failure`) and throws a `ThreadFailure` (after `release` of what
   * `local` returned); an error of `local` itself is thrown as it is.
   */
  private exchange<T>(tasks: PostedTask[], local: () => T, release: (value: T) => void = () => {}): { local: T; outputs: Float32Array[] } {
    if (tasks.length > this.helpers.length) throw new Error(`internal: ${tasks.length} tasks for ${this.helpers.length} worker threads`);
    let posted = 0;
    let helperFailure: unknown = null;
    try {
      for (const t of tasks) {
        this.helpers[posted]!.post(t.task, t.inputs, t.outElements);
        posted++;
      }
    } catch (error) {
      helperFailure = error;
    }
    let mine: { value: T } | null = null;
    let failure: unknown = null;
    if (helperFailure === null) {
      try {
        mine = { value: local() };
      } catch (error) {
        failure = error;
      }
    }
    const outputs: Float32Array[] = [];
    for (let i = 0; i < posted; i++) {
      try {
        outputs.push(this.helpers[i]!.wait());
      } catch (error) {
        helperFailure ??= error;
      }
    }
    if (helperFailure !== null) {
      if (mine) release(mine.value);
      throw this.threadFailure(helperFailure instanceof Error ? helperFailure.message : String(helperFailure));
    }
    if (failure !== null || mine === null) throw failure;
    return { local: mine.value, outputs };
  }

  terminate(): Promise<void> {
    this.failure ??= 'terminated';
    return Promise.all(this.helpers.map((h) => h.terminate())).then(() => undefined);
  }

  /**
   * `inner` with its batch split across the threads when `rule` says it pays and the threads
   * are not slower now (`Choice`). The parts are fixed by the thread count alone, whichever
   * runs: a summed kernel computes the same parts one after another on this thread when it
   * does not split, so its result never depends on the machine's load.
   */
  wrap(name: string, rule: SplitRule, inner: KernelFn): KernelFn {
    const choices = new Map<string, Choice>();
    return (args: KernelArgs): Info | Info[] => {
      const inputs = args.inputs as Record<string, Info>;
      const attrs = args.attrs ?? {};
      const lead = inputs[rule.split[0]!];
      const parts = this.threads;
      if (this.splitting || parts < 2 || !lead || lead.shape[0]! < 2 * parts) return inner(args);
      for (const info of Object.values(inputs)) if (info && info.dtype !== 'float32') return inner(args);
      const n = lead.shape[0]!;
      if (rule.split.some((s) => inputs[s]?.shape[0] !== n)) return inner(args);
      const work = rule.work(inputs, attrs);
      if (!this.always && work < MIN_WORK) return inner(args);
      const counts = Array.from({ length: parts }, (_, k) => Math.floor((n * (k + 1)) / parts) - Math.floor((n * k) / parts));
      if (!this.always && rule.minWorkPerCopied && work < rule.minWorkPerCopied * copied(rule, inputs, attrs, n, counts)) return inner(args);
      const begins = counts.map((_, k) => Math.floor((n * k) / parts));
      const key = Object.values(inputs).map((info) => info?.shape.join('x') ?? '-').join('|');
      let choice = choices.get(key);
      if (!choice) choices.set(key, (choice = new Choice()));
      const split = !this.paused && (this.always || choice.split());
      const started = performance.now();
      // Kernels that this call runs inside run whole: the workers are this call's.
      this.splitting = true;
      try {
        if (!split) return rule.combine === 'sum' ? sequentialParts(name, inner, args, inputs, attrs, rule, counts, begins) : inner(args);
        this.splitCalls++;
        return this.run(name, rule, inner, args, inputs, attrs, counts, begins);
      } catch (error) {
        // This thread's own error (a bad shape, say) is the kernel's error, not the workers'.
        if (!split || !(error instanceof ThreadFailure)) throw error;
        // A worker failed (`failure` says why): this call, and every later one, runs whole here.
      } finally {
        this.splitting = false;
        choice.record(split, performance.now() - started);
      }
      return inner(args);
    };
  }

  private run(name: string, rule: SplitRule, inner: KernelFn, args: KernelArgs, inputs: Record<string, Info>, attrs: Record<string, unknown>, counts: number[], begins: number[]): Info {
    const wasm = args.backend as WasmBackendFull;
    const names = Object.keys(inputs).filter((k) => inputs[k] !== undefined);
    const perSample = (info: Info): number => prod(info.shape.slice(1));
    // The workers' parts: copied out of the heap when posted, while the views are fresh.
    const tasks: PostedTask[] = this.helpers.map((_, i) => {
      const k = i + 1;
      const data = names.map((key) => {
        const info = inputs[key]!;
        const view = wasm.typedArrayFromHeap(info);
        if (!rule.split.includes(key)) return { name: key, shape: info.shape, data: view };
        const per = perSample(info);
        return { name: key, shape: [counts[k]!, ...info.shape.slice(1)], data: view.subarray(begins[k]! * per, (begins[k]! + counts[k]!) * per) };
      });
      return { task: { kind: 'kernel', kernel: name, attrs: rule.partAttrs?.(attrs, counts[k]!) ?? attrs }, inputs: data, outElements: prod(rule.outShape(inputs, attrs, counts[k]!)) };
    });
    // This thread's part: the leading samples, read in place (a view, no copy).
    const ownPart = (): Info => {
      const own: Record<string, Info> = {};
      const views: Info[] = [];
      try {
        for (const key of names) {
          const info = inputs[key]!;
          if (!rule.split.includes(key)) own[key] = info;
          else views.push((own[key] = partView(wasm, info, 0, counts[0]!)));
        }
        const result = inner({ inputs: own, backend: args.backend, attrs: rule.partAttrs?.(attrs, counts[0]!) ?? attrs });
        if (Array.isArray(result)) throw new Error(`${name} returned several outputs`);
        return result;
      } finally {
        for (const view of views) releaseView(wasm, view);
      }
    };
    const { local: mine, outputs: theirs } = this.exchange(tasks, ownPart, (info) => wasm.disposeData(info.dataId));
    // Parts of the wrong size are the workers' fault: the threads go off, the call runs whole.
    const expected = rule.combine === 'sum' ? theirs.map(() => prod(mine.shape)) : counts.slice(1).map((c) => prod(mine.shape.slice(1)) * c);
    const wrong = theirs.findIndex((part, i) => part.length !== expected[i]);
    if (wrong >= 0) {
      wasm.disposeData(mine.dataId);
      throw this.threadFailure(`${name}: a worker's part has ${theirs[wrong]!.length} elements, expected ${expected[wrong]}`);
    }
    if (rule.combine === 'sum') {
      const sum = wasm.typedArrayFromHeap(mine);
      for (const part of theirs) for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + part[i]!;
      return mine;
    }
    const out = wasm.makeOutput([counts.reduce((a, b) => a + b, 0), ...mine.shape.slice(1)], 'float32');
    const view = wasm.typedArrayFromHeap(out);
    const first = wasm.typedArrayFromHeap(mine);
    view.set(first, 0);
    let at = first.length;
    for (const part of theirs) {
      view.set(part, at);
      at += part.length;
    }
    wasm.disposeData(mine.dataId);
    return out;
  }

  /** Turns the threads off with `message` (the first reason stays) and returns the error to throw. */
  private threadFailure(message: string): ThreadFailure {
    this.failure ??= message;
    return new ThreadFailure(message);
  }
}

/** A task for one worker thread: what to run, its float32 inputs, the floats it writes back. */
export interface PostedTask {
  task: Task;
  inputs: TaskInput[];
  outElements: number;
}

/** A worker thread failed or is gone: the threads are off, the work must be done on this thread. */
export class ThreadFailure extends Error {}

/** The kernel threads the engine's wasm kernels split across (set by `splitWasmKernels`), if any. */
let engineThreads: KernelThreads | null = null;
export function useKernelThreads(threads: KernelThreads | null): void {
  engineThreads = threads;
}
/** The kernel threads of this process, when they are running and have not failed. */
export function kernelThreads(): KernelThreads | null {
  return engineThreads !== null && engineThreads.failure === null ? engineThreads : null;
}

/**
 * Whether a kernel call of one shape splits: the faster of split and whole by their recent wall
 * times (another process taking the other core makes the split slower than one thread), each
 * tried first, and the slower one again every `EXPLORE` calls in case the machine changed.
 */
export class Choice {
  /** The last `KEPT` wall times of each way; each way's time is their median. */
  private readonly splitTimes: number[] = [];
  private readonly wholeTimes: number[] = [];
  private calls = 0;

  /**
   * @param explore every how many calls the slower way is tried again
   * @param slack how much slower the split may be and still be taken (1: only when faster)
   */
  constructor(
    private readonly explore = EXPLORE,
    private readonly slack = 1,
  ) {}

  split(): boolean {
    this.calls++;
    if (this.splitTimes.length === 0) return true;
    if (this.wholeTimes.length === 0) return false;
    const faster = median(this.splitTimes) <= median(this.wholeTimes) * this.slack;
    return this.calls % this.explore === 0 ? !faster : faster;
  }

  record(split: boolean, ms: number): void {
    const times = split ? this.splitTimes : this.wholeTimes;
    times.push(ms);
    if (times.length > KEPT) times.shift();
  }
}
/**
 * Times kept per way. A median of three: one slow call (a pause of the machine) does not flip the
 * choice; with an average it did, and the slower way then ran until the next exploration (up to
 * 64 data-parallel steps at half speed).
 */
const KEPT = 3;
const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const EXPLORE = 16;

/**
 * A summed kernel (the filter gradient) on this thread alone, in the parts a split would use
 * and added in the same order: the same float32 result as the split.
 */
function sequentialParts(name: string, inner: KernelFn, args: KernelArgs, inputs: Record<string, Info>, attrs: Record<string, unknown>, rule: SplitRule, counts: number[], begins: number[]): Info {
  const wasm = args.backend as WasmBackendFull;
  let total: Info | null = null;
  try {
    counts.forEach((count, k) => {
      const own: Record<string, Info> = {};
      const views: Info[] = [];
      try {
        for (const [key, info] of Object.entries(inputs)) {
          if (!info) continue;
          if (!rule.split.includes(key)) own[key] = info;
          else views.push((own[key] = partView(wasm, info, begins[k]!, count)));
        }
        const part = inner({ inputs: own, backend: args.backend, attrs: rule.partAttrs?.(attrs, count) ?? attrs });
        if (Array.isArray(part)) throw new Error(`${name} returned several outputs`);
        if (total === null) total = part;
        else {
          const sum = wasm.typedArrayFromHeap(total);
          const add = wasm.typedArrayFromHeap(part);
          for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + add[i]!;
          wasm.disposeData(part.dataId);
        }
      } finally {
        for (const view of views) releaseView(wasm, view);
      }
    });
  } catch (error) {
    if (total) wasm.disposeData((total as Info).dataId);
    throw error;
  }
  return total!;
}

/** Elements a split copies between threads: the other parts' inputs and outputs. */
function copied(rule: SplitRule, inputs: Record<string, Info>, attrs: Record<string, unknown>, n: number, counts: number[]): number {
  const others = n - counts[0]!;
  let elements = 0;
  for (const [key, info] of Object.entries(inputs)) {
    if (!info) continue;
    elements += rule.split.includes(key) ? (prod(info.shape) / n) * others : prod(info.shape) * (counts.length - 1);
  }
  const out = prod(rule.outShape(inputs, attrs, n));
  elements += rule.combine === 'concat' ? (out / n) * others : out * (counts.length - 1);
  return elements;
}

/** The wasm backend's bookkeeping that views of a tensor's leading samples need. */
interface WasmInternals {
  getMemoryOffset(dataId: object): number;
  dataIdMap: { get(dataId: object): { id: number } | undefined; delete(dataId: object): boolean };
  wasm: { tfjs: { disposeData(id: number): void } };
}

/**
 * A tensor info over samples [begin, begin + n) of a float32 `info`, sharing its memory (the wasm
 * backend's `makeOutput` with a memory offset registers memory it did not allocate). Must be
 * released with `releaseView`, never `disposeData`, which would free the memory it shares.
 */
function partView(wasm: WasmBackendFull, info: Info, begin: number, n: number): Info {
  const internals = wasm as unknown as WasmInternals;
  const offset = internals.getMemoryOffset(info.dataId) + begin * prod(info.shape.slice(1)) * 4;
  return wasm.makeOutput([n, ...info.shape.slice(1)], info.dtype, offset);
}

/** Forgets a view: the backend's record of it, not the memory, which its tensor still owns. */
function releaseView(wasm: WasmBackendFull, view: Info): void {
  const internals = wasm as unknown as WasmInternals;
  const record = internals.dataIdMap.get(view.dataId);
  if (!record) return;
  internals.wasm.tfjs.disposeData(record.id);
  internals.dataIdMap.delete(view.dataId);
}
