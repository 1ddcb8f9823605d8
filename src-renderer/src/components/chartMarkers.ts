/**
 * Markers on a time-series chart: a point of interest on the x axis (the step a diagnosis
 * finding concerns) drawn as a faint vertical line under the curves and, by ChartMarkers.vue,
 * as a clickable tick above them.
 */
import type { Chart, Plugin } from 'chart.js';
import type { Point } from '../features/monitor/series';

export interface ChartMarker {
  id: string;
  /** In the axis unit. */
  x: number;
  /** A #rrggbb colour. */
  colour: string;
  /** Shown on hover. */
  label: string;
}

/** A marker where it sits now: CSS px from the canvas's left edge. */
export type MarkerSpot = ChartMarker & { left: number };

/** `#rrggbb` at an alpha. */
function faint(colour: string, alpha: number): string {
  const n = Number.parseInt(colour.slice(1), 16);
  if (!colour.startsWith('#') || colour.length !== 7 || Number.isNaN(n)) return colour;
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function markerPlugin(markers: () => ChartMarker[], active: () => string | null): Plugin<'line'> {
  return {
    id: 'markers',
    afterDatasetsDraw(c) {
      const x = c.scales['x'];
      const list = markers();
      if (!x || list.length === 0) return;
      const { left, right, top, bottom } = c.chartArea;
      const ctx = c.ctx;
      ctx.save();
      ctx.setLineDash([2, 3]);
      for (const m of list) {
        const px = x.getPixelForValue(m.x);
        if (px < left - 1 || px > right + 1) continue;
        ctx.strokeStyle = faint(m.colour, m.id === active() ? 0.9 : 0.45);
        ctx.beginPath();
        ctx.moveTo(px, top);
        ctx.lineTo(px, bottom);
        ctx.stroke();
      }
      ctx.restore();
    },
  };
}

/** The markers inside the chart's x range, at their pixel. */
export function markerSpots(c: Chart<'line', Point[]>, markers: ChartMarker[]): MarkerSpot[] {
  const x = c.scales['x'];
  if (!x || markers.length === 0) return [];
  const { left, right } = c.chartArea;
  return markers.map((m) => ({ ...m, left: Math.round(x.getPixelForValue(m.x)) })).filter((m) => m.left >= left - 1 && m.left <= right + 1);
}

/** Whether two placements differ (a redraw that moved nothing must not re-render). */
export function spotsKey(spots: MarkerSpot[]): string {
  return spots.map((m) => `${m.id}@${m.left}:${m.colour}:${m.label}`).join('|');
}
