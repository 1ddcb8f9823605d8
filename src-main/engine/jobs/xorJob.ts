/**
 * The tiny real training job of the foundation: XOR on a 2-H-1 tanh/sigmoid network, trained
 * full-batch with Adam in a hand-written loop. It exists to exercise every layer of the app
 * (contract, engine, host, bridge, chart) with real numbers; the full engine replaces it.
 */
import * as tf from '@tensorflow/tfjs';
import type { EpochPoint, EventOf, JobStatus, XorJobRequest } from '@contract';
import { ProgressBatcher } from '../progressBatcher';

const XS = [0, 0, 0, 1, 1, 0, 1, 1];
const YS = [0, 1, 1, 0];

export interface JobCallbacks {
  onProgress(event: EventOf<'train.progress'>): void;
  onStatus(event: EventOf<'train.status'>): void;
}

export class XorJob {
  readonly id: string;
  private statusValue: JobStatus = 'running';
  private resumeWaiter: (() => void) | null = null;
  private stopRequested = false;
  private readonly progress: ProgressBatcher<EpochPoint>;

  constructor(
    id: string,
    private readonly request: XorJobRequest,
    private readonly callbacks: JobCallbacks,
  ) {
    this.id = id;
    this.progress = new ProgressBatcher((points) => callbacks.onProgress({ jobId: id, epochs: request.epochs, points }));
  }

  get status(): JobStatus {
    return this.statusValue;
  }

  pause(): JobStatus {
    if (this.statusValue === 'running') this.setStatus('paused');
    return this.statusValue;
  }

  resume(): JobStatus {
    if (this.statusValue === 'paused') {
      this.setStatus('running');
      this.resumeWaiter?.();
      this.resumeWaiter = null;
    }
    return this.statusValue;
  }

  /** Asks the loop to stop after the epoch in flight. */
  stop(): JobStatus {
    this.stopRequested = true;
    this.resumeWaiter?.();
    this.resumeWaiter = null;
    return this.statusValue;
  }

  private setStatus(status: JobStatus, error?: string): void {
    // Points before a status change reach clients before it.
    this.progress.flush();
    this.statusValue = status;
    this.callbacks.onStatus(error === undefined ? { jobId: this.id, status } : { jobId: this.id, status, error });
  }

  /** Runs to the end; resolves when the job is done, stopped or failed. Never rejects. */
  async run(): Promise<void> {
    const { hiddenUnits, epochs, learningRate, seed } = this.request;
    const init = (s: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: seed * 7919 + s });
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [2], units: hiddenUnits, activation: 'tanh', kernelInitializer: init(1) }),
        tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(2) }),
      ],
    });
    const optimizer = tf.train.adam(learningRate);
    const xs = tf.tensor2d(XS, [4, 2]);
    const ys = tf.tensor2d(YS, [4, 1]);
    const started = performance.now();
    this.setStatus('running');
    try {
      for (let epoch = 0; epoch < epochs; epoch++) {
        if (this.statusValue === 'paused') await new Promise<void>((resolve) => (this.resumeWaiter = resolve));
        if (this.stopRequested) break;
        const lossTensor = optimizer.minimize(() => tf.losses.meanSquaredError(ys, model.predict(xs) as tf.Tensor), true);
        const loss = lossTensor ? (await lossTensor.data())[0] ?? Number.NaN : Number.NaN;
        lossTensor?.dispose();
        this.progress.push({ epoch, loss: Number.isFinite(loss) ? loss : null, time: performance.now() - started });
        // Yield to the event loop so pause, stop and engine.info are answered mid-run.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.setStatus(this.stopRequested ? 'stopped' : 'done');
    } catch (error) {
      this.setStatus('failed', error instanceof Error ? error.message : String(error));
    } finally {
      xs.dispose();
      ys.dispose();
      optimizer.dispose();
      model.dispose();
    }
  }
}
