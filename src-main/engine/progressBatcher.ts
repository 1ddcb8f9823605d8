/**
 * Collects per-epoch (later per-step) points and hands them on in batches, at most once per
 * `intervalMs`: the engine never waits for a client, and a client never receives more than
 * ~30 updates a second, whatever the training rate.
 */

/** 30 flushes a second: as often as a screen can usefully redraw a chart. */
export const DEFAULT_FLUSH_INTERVAL_MS = 33;

export class ProgressBatcher<T> {
  private buffer: T[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly flushTo: (items: T[]) => void,
    private readonly intervalMs = DEFAULT_FLUSH_INTERVAL_MS,
  ) {}

  push(item: T): void {
    this.buffer.push(item);
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
    }
  }

  /** Sends what is buffered now (before a status change, at the end of a job). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.length === 0) return;
    const items = this.buffer;
    this.buffer = [];
    this.flushTo(items);
  }

  dispose(): void {
    this.flush();
  }
}
