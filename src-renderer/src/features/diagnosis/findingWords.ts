/** How a finding's timing and evidence read on the Train screen. */
import { untilWords, type Finding } from '@contract';

/** "step 40 until step 450 · epoch 1": steps as recorded, epochs counted from 1. */
export function whenWords(f: Finding): string {
  const until = untilWords(f);
  return `step ${f.step}${until ? ` ${until}` : ''} · epoch ${f.epoch + 1}`;
}

/** The evidence as name/value rows, long lists cut after 12 items. */
export function evidenceRows(f: Finding): [string, string][] {
  return Object.entries(f.evidence).map(([k, v]) => [k, Array.isArray(v) ? (v.length > 12 ? `${v.slice(0, 12).join(', ')}, … (${v.length})` : v.join(', ')) : String(v)]);
}
