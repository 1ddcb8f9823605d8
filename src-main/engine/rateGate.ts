/**
 * Lets an event through at most once per interval. For what the engine keeps on disk in full
 * but sends to clients only as often as a screen can use: a fast run (relu-abs, hundreds of
 * steps a second with a snapshot every 100) would otherwise send several snapshots a second,
 * each decoded and validated by every client.
 */
export class RateGate {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether to send now; `always` sends whatever the interval (and restarts it). */
  pass(always = false): boolean {
    const t = this.now();
    if (!always && t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }
}
