/**
 * Canvas drawing of TimeSeriesChart that needs none of its state: the y-axis bands, and lines
 * stroked straight onto a canvas (the still lines' bitmap and the live fast path), as chart.js
 * would draw them.
 */
import type { Plugin, Scale } from 'chart.js';
import type { ChartLine } from '../features/monitor/chartModels';
import { withAlpha } from '../features/monitor/colours';

export interface Band {
  from: number;
  to: number;
  /** A line drawn across the band, at this value. */
  at?: number;
  label: string;
}

/** How a line is drawn now (TimeSeriesChart's styleOf). */
export interface LineStyle {
  colour: string;
  width: number;
  lifted: boolean;
}

/** Shades each band of the y axis and draws its line and label (the update-ratio rule of thumb). */
export function bandPlugin(bands: () => Band[]): Plugin<'line'> {
  return {
    id: 'bands',
    beforeDatasetsDraw(c) {
      const y = c.scales['y'];
      if (!y || bands().length === 0) return;
      const { left, right, top, bottom } = c.chartArea;
      const ctx = c.ctx;
      ctx.save();
      for (const band of bands()) {
        const y0 = Math.max(top, Math.min(bottom, y.getPixelForValue(band.to)));
        const y1 = Math.max(top, Math.min(bottom, y.getPixelForValue(band.from)));
        if (y1 - y0 > 0) {
          ctx.fillStyle = 'rgba(76, 201, 160, 0.07)';
          ctx.fillRect(left, y0, right - left, y1 - y0);
        }
        if (band.at !== undefined) {
          const ya = y.getPixelForValue(band.at);
          if (ya >= top && ya <= bottom) {
            ctx.strokeStyle = 'rgba(76, 201, 160, 0.45)';
            ctx.setLineDash([4, 4]);
            ctx.beginPath();
            ctx.moveTo(left, ya);
            ctx.lineTo(right, ya);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = 'rgba(76, 201, 160, 0.8)';
            ctx.font = '10px system-ui, sans-serif';
            ctx.fillText(band.label, left + 6, Math.max(top + 10, ya - 4));
          }
        }
      }
      ctx.restore();
    },
  };
}

/** Dims a colour that may already be rgba(). */
export function withAlphaSafe(colour: string, alpha: number): string {
  if (colour.startsWith('#')) return withAlpha(colour, alpha);
  return colour.replace(/rgba\(([^)]+),\s*[\d.]+\)/, `rgba($1, ${alpha * 0.5})`);
}

/**
 * Strokes lines as chart.js would (straight segments, a gap at NaN, nothing ≤ 0 on a log
 * axis, dots where a line has markers), lifted ones last. The context's transform is the
 * chart's (CSS pixels); `styleOf` gives each line's colour, width and whether it is lifted.
 */
export function strokeLines(ctx: CanvasRenderingContext2D, lines: ChartLine[], x: Scale, y: Scale, styleOf: (line: ChartLine) => LineStyle): void {
  const log = y.type === 'logarithmic';
  const ordered = [...lines].sort((a, b) => Number(styleOf(a).lifted) - Number(styleOf(b).lifted));
  for (const line of ordered) {
    const style = styleOf(line);
    ctx.strokeStyle = style.colour;
    ctx.fillStyle = style.colour;
    ctx.lineWidth = style.width;
    ctx.setLineDash(line.dash);
    ctx.beginPath();
    let pen = false;
    for (const p of line.points) {
      if (!Number.isFinite(p.y) || (log && p.y <= 0)) {
        pen = false;
        continue;
      }
      const px = x.getPixelForValue(p.x);
      const py = y.getPixelForValue(p.y);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
    if (line.markers) {
      ctx.setLineDash([]);
      for (const p of line.points) {
        if (!Number.isFinite(p.y) || (log && p.y <= 0)) continue;
        ctx.beginPath();
        ctx.arc(x.getPixelForValue(p.x), y.getPixelForValue(p.y), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  ctx.setLineDash([]);
}
