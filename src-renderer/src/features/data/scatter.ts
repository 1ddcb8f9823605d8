/** The scatter plot of 2-D samples: the plot's extent and each point's colour (by class, or by target). */

/** Distinct on the dark panel; class i takes colour i mod 10. */
export const CLASS_COLOURS = ['#5b9cf5', '#f2a65a', '#4cc9a0', '#e07aa8', '#a98cf0', '#4fc3d9', '#d9c45b', '#ef7d6d', '#8fbf5a', '#b3b9c6'];

export const classColour = (index: number): string => CLASS_COLOURS[((index % CLASS_COLOURS.length) + CLASS_COLOURS.length) % CLASS_COLOURS.length]!;

export interface Extent {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

/** The points' bounding box, widened by `pad` of its size on each side; a degenerate axis spans ±1 around its value. */
export function scatterExtent(points: readonly (readonly number[])[], pad = 0.05): Extent {
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const p of points) {
    const x = p[0];
    const y = p[1];
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    xmin = Math.min(xmin, x);
    xmax = Math.max(xmax, x);
    ymin = Math.min(ymin, y);
    ymax = Math.max(ymax, y);
  }
  if (xmin > xmax) return { xmin: -1, xmax: 1, ymin: -1, ymax: 1 };
  const widen = (lo: number, hi: number): [number, number] => {
    if (hi - lo < 1e-12) return [lo - 1, hi + 1];
    const d = (hi - lo) * pad;
    return [lo - d, hi + d];
  };
  const [x0, x1] = widen(xmin, xmax);
  const [y0, y1] = widen(ymin, ymax);
  return { xmin: x0, xmax: x1, ymin: y0, ymax: y1 };
}

/** A data point's position in a width × height box, y up. */
export function project(x: number, y: number, extent: Extent, width: number, height: number): [number, number] {
  return [((x - extent.xmin) / (extent.xmax - extent.xmin)) * width, (1 - (y - extent.ymin) / (extent.ymax - extent.ymin)) * height];
}

/** A regression target's colour between min (dark blue) and max (warm yellow): a viridis-like ramp. */
export function targetColour(value: number, min: number, max: number): string {
  const t = max > min ? Math.max(0, Math.min(1, (value - min) / (max - min))) : 0.5;
  const stops: [number, number, number][] = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const f = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(f));
  const u = f - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  const c = (k: 0 | 1 | 2): number => Math.round(a[k] + (b[k] - a[k]) * u);
  return `rgb(${c(0)}, ${c(1)}, ${c(2)})`;
}
