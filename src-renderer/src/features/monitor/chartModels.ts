/**
 * What each monitor chart draws, as lines of points decimated for the visible range: a chart
 * component asks its model for the lines of [xmin, xmax] at about one bucket per pixel, and
 * the model reuses each line's point array (no garbage per frame) and skips lines whose data
 * and range have not moved since the last draw.
 */
import type { ProbeLayer } from '@contract';
import { layerColour, withAlpha } from './colours';
import type { RunData } from './runData';
import { Column, Series, type Point } from './series';

export type XAxis = 'steps' | 'epochs';

export interface ChartLine {
  key: string;
  label: string;
  colour: string;
  width: number;
  dash: number[];
  markers: boolean;
  /** The run it belongs to, for highlighting one run of several. */
  runId: string | null;
  /** Left out of the legend (the faint raw curve under a smoothed one). */
  quiet: boolean;
  /** Its run has ended: its points will not change, so the chart may keep it drawn. */
  still: boolean;
  points: Point[];
  /** What the points were computed from; unchanged means nothing to do. */
  cacheKey: string;
}

export interface ChartModel {
  /** x range of all the data, in the axis unit, or null when there is none. */
  extent(): [number, number] | null;
  /** The lines over `range`, decimated to about `buckets` buckets. */
  lines(range: [number, number], buckets: number): ChartLine[];
  /** Attributes for the canvas (data-points for tests and the benchmark). */
  attributes(): Record<string, string>;
  /** Called once the lines have been drawn. */
  afterDraw?(): void;
}

/** Scale from steps to the axis unit. */
export function xScaleOf(run: RunData, axis: XAxis): number {
  return axis === 'epochs' && run.job ? 1 / run.job.stepsPerEpoch : 1;
}

class LinePool {
  private readonly lines = new Map<string, ChartLine>();

  get(key: string, init: Omit<ChartLine, 'key' | 'points' | 'cacheKey' | 'still'>, still = false): ChartLine {
    let line = this.lines.get(key);
    if (!line) {
      line = { key, points: [], cacheKey: '', still, ...init };
      this.lines.set(key, line);
    } else Object.assign(line, init, { still });
    return line;
  }
}

/**
 * Buckets for the part of `range` a line covers: `buckets` span the whole range, so a line
 * over a tenth of it (a live run beside 100,000-step ones) gets a tenth of them, still about
 * one per pixel column it crosses. Rounded up to a power of two, so that the bucket count and
 * with it the points drawn change only when the line doubles in length, not on every update.
 */
export function bucketsFor(lineFrom: number, lineTo: number, range: [number, number], buckets: number): number {
  const width = range[1] - range[0];
  if (!(width > 0)) return buckets;
  const covered = Math.min(lineTo, range[1]) - Math.max(lineFrom, range[0]);
  if (!(covered >= 0)) return Math.min(buckets, 8);
  const share = Math.ceil((buckets * covered) / width);
  let rounded = 8;
  while (rounded < share) rounded *= 2;
  return Math.min(buckets, rounded);
}

/** Points of a series over an x range: the indices around it, decimated. */
function fill(line: ChartLine, xs: Column, series: Series, range: [number, number], buckets: number, xScale: number): void {
  const from = Math.max(0, xs.lowerBound(range[0] / xScale) - 1);
  const to = Math.min(series.length, xs.lowerBound(range[1] / xScale) + 1);
  if (to > from) buckets = bucketsFor(xs.at(from) * xScale, xs.at(to - 1) * xScale, range, buckets);
  const key = `${from}:${to}:${buckets}:${xScale}:${series.length}:${series.generation}`;
  if (key === line.cacheKey) return;
  line.cacheKey = key;
  series.decimate(xs, from, to, buckets, xScale, line.points);
}

/** Sets a line's points, made by `make` only when `key` says they changed. */
function setPoints(line: ChartLine, make: () => Point[], key: string): void {
  if (key === line.cacheKey) return;
  line.cacheKey = key;
  line.points.length = 0;
  for (const p of make()) line.points.push(p);
}

function extentOf(runs: RunData[], axis: XAxis, xsOf: (run: RunData) => Column): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const run of runs) {
    const xs = xsOf(run);
    if (xs.length === 0) continue;
    const s = xScaleOf(run, axis);
    lo = Math.min(lo, xs.at(0) * s);
    hi = Math.max(hi, xs.at(xs.length - 1) * s);
    const lastEpoch = run.epochs.at(-1);
    if (lastEpoch && xsOf(run) === run.steps) hi = Math.max(hi, lastEpoch.step * s);
  }
  if (lo === Infinity) return null;
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

export interface MetricModelOptions {
  metric: 'loss' | 'accuracy';
  runs: () => RunData[];
  axis: () => XAxis;
  smoothing: () => number;
  /** The run whose points count as "received" in data-points: the live or latest one. */
  current: () => RunData | null;
  afterDraw?: () => void;
}

/** Training per step (raw faint under its smoothed curve) and validation per epoch, per run. */
export function metricModel(options: MetricModelOptions): ChartModel {
  const pool = new LinePool();
  return {
    extent: () => extentOf(options.runs(), options.axis(), (r) => r.steps),
    lines(range, buckets) {
      const axis = options.axis();
      const smoothing = options.smoothing();
      const out: ChartLine[] = [];
      for (const run of options.runs()) {
        const s = xScaleOf(run, axis);
        const raw = options.metric === 'loss' ? run.loss : run.accuracy;
        const smooth = options.metric === 'loss' ? run.lossSmooth : run.accuracySmooth;
        const smoothed = smoothing > 0;
        // A metric the task does not have (accuracy of a regression) draws no per-step curve.
        if (raw.finite > 0) {
          const rawLine = pool.get(
            `${run.id}:raw`,
            {
              label: run.label,
              colour: smoothed ? withAlpha(run.colour, 0.22) : run.colour,
              width: 1,
              dash: [],
              markers: false,
              runId: run.id,
              quiet: smoothed,
            },
            run.ended,
          );
          fill(rawLine, run.steps, raw, range, buckets, s);
          out.push(rawLine);
          if (smoothed) {
            const line = pool.get(`${run.id}:smooth`, { label: run.label, colour: run.colour, width: 1, dash: [], markers: false, runId: run.id, quiet: false }, run.ended);
            fill(line, run.steps, smooth, range, buckets, s);
            out.push(line);
          }
        }
        const val = options.metric === 'loss' ? run.valLossEpochs : run.valAccuracyEpochs;
        if (val.length > 0) {
          const line = pool.get(`${run.id}:val`, { label: `${run.label} validation`, colour: run.colour, width: 1, dash: [5, 4], markers: true, runId: run.id, quiet: false }, run.ended);
          setPoints(
            line,
            () => val.map((e) => ({ x: e.step * s, y: (options.metric === 'loss' ? e.valLoss : e.valAccuracy)! })),
            `${val.length}:${s}`,
          );
          out.push(line);
        }
      }
      return out;
    },
    attributes() {
      const runs = options.runs();
      return { 'data-points': String(options.current()?.count ?? 0), 'data-runs': String(runs.length) };
    },
    afterDraw: options.afterDraw,
  };
}

export type LayerMetric = 'grad' | 'weight' | 'ratio';

/** One run's per-layer gradient norm, weight norm or update ratio over time. */
export function layerModel(metric: LayerMetric, run: () => RunData | null, axis: () => XAxis): ChartModel {
  const pool = new LinePool();
  return {
    extent: () => {
      const r = run();
      return r ? extentOf([r], axis(), (x) => x.steps) : null;
    },
    lines(range, buckets) {
      const r = run();
      if (!r?.job) return [];
      const s = xScaleOf(r, axis());
      const out: ChartLine[] = [];
      const list = metric === 'grad' ? r.layerGrad : metric === 'weight' ? r.layerWeight : r.layerRatio;
      list.forEach((series, l) => {
        const line = pool.get(`${r.id}:${l}`, { label: r.job!.parameterLayers[l] ?? `layer ${l}`, colour: layerColour(l), width: 1, dash: [], markers: false, runId: null, quiet: false }, r.ended);
        fill(line, r.steps, series, range, buckets, s);
        out.push(line);
      });
      if (metric === 'grad') {
        const line = pool.get(`${r.id}:global`, { label: 'all layers', colour: '#8a93a6', width: 1, dash: [3, 3], markers: false, runId: null, quiet: false }, r.ended);
        fill(line, r.steps, r.gradNorm, range, buckets, s);
        out.push(line);
      }
      return out;
    },
    attributes: () => ({ 'data-points': String(run()?.count ?? 0), 'data-run': run()?.label ?? '' }),
  };
}

/** One run's fraction of dead (solid) and saturated (dashed) units per layer, at each probe. */
export function unitFractionModel(run: () => RunData | null, axis: () => XAxis): ChartModel {
  const pool = new LinePool();
  return {
    extent: () => {
      const r = run();
      return r ? extentOf([r], axis(), (x) => x.probeSteps) : null;
    },
    lines(range, buckets) {
      const r = run();
      if (!r?.job) return [];
      const s = xScaleOf(r, axis());
      const weighted = r.job.parameterLayers;
      const names = r.job.layers.map((l) => l.name);
      // The colour a layer has in the norm charts, where it has one.
      const colourIndex = (name: string): number => (weighted.includes(name) ? weighted.indexOf(name) : Math.max(0, names.indexOf(name)));
      return r.tracks.map((track) => {
        const line = pool.get(`${r.id}:${track.layer}:${track.kind}`, {
          label: `${track.layer} ${track.kind}`,
          colour: layerColour(colourIndex(track.layer)),
          width: 1,
          dash: track.kind === 'saturated' ? [5, 3] : [],
          // A few probes are dots before they are a line.
          markers: r.probeSteps.length < 12,
          runId: null,
          quiet: false,
        }, r.ended);
        fill(line, r.probeSteps, track.series, range, buckets, s);
        return line;
      });
    },
    attributes: () => ({ 'data-points': String(run()?.probeSteps.length ?? 0) }),
  };
}

/** One unit's history on the probe batch: its active (and saturated) fraction, or its mean and std. */
export function unitHistoryModel(what: 'activity' | 'stats', run: () => RunData | null, unit: () => { layer: string; unit: number } | null, axis: () => XAxis): ChartModel {
  const pool = new LinePool();
  const records = (): { x: number; layer: ProbeLayer }[] => {
    const r = run();
    const u = unit();
    if (!r || !u) return [];
    const s = xScaleOf(r, axis());
    const out: { x: number; layer: ProbeLayer }[] = [];
    for (const probe of r.probes) {
      const layer = probe.layers.find((l) => l.name === u.layer);
      if (layer && u.unit < layer.units) out.push({ x: probe.step * s, layer });
    }
    return out;
  };
  return {
    extent() {
      const list = records();
      if (list.length === 0) return null;
      const lo = list[0]!.x;
      const hi = list.at(-1)!.x;
      return hi > lo ? [lo, hi] : [lo, lo + 1];
    },
    lines() {
      const list = records();
      const u = unit();
      if (!u || list.length === 0) return [];
      const key = `${u.layer}:${u.unit}:${list.length}:${list.at(-1)!.x}`;
      const series: [string, string, (l: ProbeLayer) => number][] =
        what === 'activity'
          ? [
              ['active fraction', '#4cc9a0', (l) => l.active[u.unit]!],
              ['saturated fraction', '#d69a2d', (l) => l.saturated[u.unit]!],
            ]
          : [
              ['mean', '#5b9cf5', (l) => l.mean[u.unit]!],
              ['std', '#a98cf0', (l) => l.std[u.unit]!],
            ];
      return series.map(([label, colour, value]) => {
        const line = pool.get(label, { label, colour, width: 1.5, dash: [], markers: list.length < 40, runId: null, quiet: false });
        setPoints(
          line,
          () => list.map((r) => ({ x: r.x, y: value(r.layer) })),
          key,
        );
        return line;
      });
    },
    attributes: () => ({ 'data-points': String(records().length) }),
  };
}
