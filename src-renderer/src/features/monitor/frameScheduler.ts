/**
 * One place where the monitor's canvases redraw: at most once per animation frame each, and
 * no more than {@link FRAME_BUDGET_MS} of drawing per frame. A panel asks for a redraw when
 * its data moves; what does not fit in this frame is drawn in the next one, oldest request
 * first, so 30 updates a second never pile up into a long frame. A secondary panel may ask
 * to be drawn at most every so many ms: it then skips frames while data stream in.
 */

/** Drawing time per frame, leaving the rest of the 16.7 ms to layout, raster and input. */
export const FRAME_BUDGET_MS = 8;

/**
 * A secondary panel waits for a frame without other drawing, but no longer than this past its
 * interval: while a fast run keeps the primary charts busy every frame, it still gets drawn.
 */
export const SECONDARY_MAX_WAIT_MS = 100;

interface Pending {
  draw: () => void;
  minIntervalMs: number;
  /** Heavy secondary panels (charts) take turns: at most one of them per frame. */
  exclusive: boolean;
}

const pending = new Map<object, Pending>();
const lastDrawn = new WeakMap<object, number>();
let scheduled = false;

function run(now: number): void {
  scheduled = false;
  const start = performance.now();
  // Primary panels first (the loss chart: what a person watches, and what the latency is
  // measured on); then one secondary panel, in a frame the primaries left free, so that a
  // secondary's draw and a primary's seldom land in the same frame.
  let drew = false;
  for (const [owner, task] of pending) {
    if (task.exclusive || now - (lastDrawn.get(owner) ?? -Infinity) < task.minIntervalMs) continue;
    pending.delete(owner);
    lastDrawn.set(owner, now);
    task.draw();
    drew = true;
    if (performance.now() - start > FRAME_BUDGET_MS) break;
  }
  for (const [owner, task] of pending) {
    if (!task.exclusive) continue;
    const since = now - (lastDrawn.get(owner) ?? -Infinity);
    if (since < task.minIntervalMs || (drew && since < task.minIntervalMs + SECONDARY_MAX_WAIT_MS)) continue;
    pending.delete(owner);
    lastDrawn.set(owner, now);
    task.draw();
    break;
  }
  if (pending.size > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(run);
}

/**
 * Asks for `draw` to run in a coming frame, and not sooner than `minIntervalMs` after this
 * owner's last draw; a second request before then replaces the first.
 */
export function requestDraw(owner: object, draw: () => void, minIntervalMs = 0, exclusive = false): void {
  pending.set(owner, { draw, minIntervalMs, exclusive });
  schedule();
}

/** Forgets a pending redraw (the panel is going away). */
export function cancelDraw(owner: object): void {
  pending.delete(owner);
}
