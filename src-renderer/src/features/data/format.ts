/** How the Data screen writes counts, shapes, sizes and ranges. */

/** 60000 → "60,000". */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** [28, 28, 1] → "28×28×1"; a scalar per sample ([]) → "scalar". */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** Bytes in powers of 1000, as file managers print them: 26421880 → "26.4 MB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A value of a range or statistic: integers as they are, others to 4 significant digits. */
export function formatValue(v: number): string {
  if (Number.isInteger(v)) return formatCount(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** "0 – 255" */
export function formatRange(min: number, max: number): string {
  return `${formatValue(min)} – ${formatValue(max)}`;
}

/** Whole percent of done/total, clamped to 0–100; 0 when total is 0. */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** "12.6 of 26.4 MB (47 %)" for a progress bar's label. */
export function formatProgress(done: number, total: number): string {
  return `${formatBytes(done)} of ${formatBytes(total)} (${percent(done, total)} %)`;
}
