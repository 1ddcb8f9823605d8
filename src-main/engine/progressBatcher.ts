/**
 * Coalesces a job's measurements into `train.update` events, at most once per `intervalMs`:
 * the engine never waits for a client, and a client never receives more than ~30 updates a
 * second, whatever the training rate. Steps, epochs and probes are all kept (a dead-unit curve
 * needs every probe); only the latest probe of a batch keeps its input-plane surface, the one
 * thing the screen draws only the newest of.
 */
import type { MemoryReadout, EpochSummary, EventOf, ProbeResult, StepPoint } from '@contract';

/** 30 updates a second: as often as a screen can usefully redraw a chart. */
export const DEFAULT_FLUSH_INTERVAL_MS = 33;

export class UpdateBatcher {
  private points: StepPoint[] = [];
  private epochs: EpochSummary[] = [];
  private probes: ProbeResult[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;

  constructor(
    private readonly jobId: string,
    private readonly send: (update: EventOf<'train.update'>) => void,
    private readonly intervalMs = DEFAULT_FLUSH_INTERVAL_MS,
    /** Read at each flush, so that every update says what the engine holds then. */
    private readonly memory: (() => MemoryReadout) | null = null,
  ) {}

  step(point: StepPoint): void {
    this.points.push(point);
    // A timer cannot fire during a long synchronous step: when an update is due, send it now
    // (still at most one per interval), so slow steps do not reach the screen a step late.
    if (performance.now() - this.lastFlush >= this.intervalMs) this.flush();
    else this.schedule();
  }

  epoch(summary: EpochSummary): void {
    this.epochs.push(summary);
    this.schedule();
  }

  probed(probe: ProbeResult): void {
    const previous = this.probes.at(-1);
    // Surfaces are 4·size²·(outputs + units) bytes each and only the newest is drawn.
    if (previous?.surface) this.probes[this.probes.length - 1] = { ...previous, surface: null };
    this.probes.push(probe);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Sends what is pending now: before a status change, a finding or a snapshot, so order holds. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.points.length === 0 && this.epochs.length === 0 && this.probes.length === 0) return;
    this.lastFlush = performance.now();
    const update: EventOf<'train.update'> = { jobId: this.jobId, points: this.points, epochs: this.epochs, probes: this.probes };
    if (this.memory) update.memory = this.memory();
    this.points = [];
    this.epochs = [];
    this.probes = [];
    this.send(update);
  }
}
