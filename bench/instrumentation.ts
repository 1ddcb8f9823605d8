/**
 * What the instrumentation costs: samples/s of the same spec trained bare (loss only, as plain
 * tfjs training) and fully instrumented (per-layer norms every step, probes every 50 steps),
 * on the wasm backend, one after the other in one process.
 *
 *   npm run bench -- instrumentation [--steps N] [--rounds N]
 *
 * Prints a table (medians over alternating rounds, default 9, of each round's adjacent pair, with
 * the pairs' quartiles); goal: overhead ≤ 10 %. Probes (every 50 steps) fall inside the timed
 * steps: the default 600 steps (150 for the larger models, ~4 s each) hold several. Samples/s are
 * given in this process's CPU time (user + system; the wasm backend runs on one thread), which
 * on a machine shared with other busy processes is far steadier than wall time; the overhead in
 * wall time is printed beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src-main/engine/backend/selectBackend';
import { builtinData } from '../src-main/engine/training/builtinData';
import { Trainer } from '../src-main/engine/training/trainer';
import { BENCH_CNN, BENCH_MLP, benchSpec, WIDE_SIGMOID_MLP, type Layers } from './support/specs';
import { cpuMs } from './support/timing';

const stepsArg = process.argv.indexOf('--steps');
const STEPS = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 600;
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 9;
const BATCH = 128;

interface Rate {
  /** Samples per second of CPU time. */
  cpu: number;
  /** Samples per second of wall time. */
  wall: number;
}

const models: Record<string, Layers> = {
  'MLP 784-1000-10 sigmoid': WIDE_SIGMOID_MLP,
  'MLP 784-128-10': BENCH_MLP,
  'CNN 16-32 conv': BENCH_CNN,
};

async function measure(layers: Layers, bare: boolean, steps: number): Promise<Rate> {
  const spec = benchSpec(layers, BATCH);
  const data = builtinData(spec);
  let trainer: Trainer | null = null;
  let started = 0;
  let startedCpu = 0;
  let seen = 0;
  let elapsed = 0;
  let elapsedCpu = 0;
  const warmup = 10;
  trainer = new Trainer('bench', spec, data, 'wasm', {
    onStep: () => {
      seen++;
      if (seen === warmup) {
        started = performance.now();
        startedCpu = cpuMs();
      }
      if (seen === warmup + steps) {
        elapsed = performance.now() - started;
        elapsedCpu = cpuMs() - startedCpu;
        trainer!.stop();
      }
    },
    onEpoch: () => undefined,
    onProbe: () => undefined,
    onSnapshot: () => undefined,
    onNonFinite: () => undefined,
    onStatus: () => undefined,
  }, bare);
  // Bare steps do not report through onStep: count them from the loop's side instead.
  if (bare) {
    const original = (trainer as unknown as { bareStep: (i: Int32Array) => Promise<unknown> }).bareStep.bind(trainer);
    (trainer as unknown as { bareStep: (i: Int32Array) => Promise<unknown> }).bareStep = async (indices) => {
      const result = await original(indices);
      seen++;
      if (seen === warmup) {
        started = performance.now();
        startedCpu = cpuMs();
      }
      if (seen === warmup + steps) {
        elapsed = performance.now() - started;
        elapsedCpu = cpuMs() - startedCpu;
        trainer!.stop();
      }
      return result;
    };
  }
  await trainer.run();
  return { cpu: (steps * BATCH) / (elapsedCpu / 1000), wall: (steps * BATCH) / (elapsed / 1000) };
}

async function main(): Promise<void> {
  const { backend } = await selectBackend('wasm');
  console.log(`backend ${backend}, tfjs ${tf.version.tfjs}, batch ${BATCH}, ${STEPS} timed steps after 10 warm-up steps, Adam`);
  const rows: string[][] = [];
  for (const [name, layers] of Object.entries(models)) {
    const steps = name.startsWith('MLP 784-128') ? STEPS : Math.max(20, Math.round(STEPS / 4));
    // Alternate bare and instrumented ROUNDS times. The overhead is the median over rounds of each
    // round's own pair (bare_i − full_i) / bare_i: the two runs of a pair are adjacent in time, so
    // the speed of a shared virtual machine, which drifts by ±10 % over minutes, cancels out of
    // it; the quartiles of the pairs say how far to trust it.
    const bareRuns: Rate[] = [];
    const fullRuns: Rate[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0;
      const a = await measure(layers, first, steps);
      const b = await measure(layers, !first, steps);
      bareRuns.push(first ? a : b);
      fullRuns.push(first ? b : a);
    }
    const sorted = (values: number[]): number[] => [...values].sort((x, y) => x - y);
    const median = (values: number[]): number => sorted(values)[Math.floor(values.length / 2)]!;
    const pairs = (key: keyof Rate): number[] => bareRuns.map((bare, i) => (bare[key] - fullRuns[i]![key]) / bare[key]);
    const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
    const quartiles = (values: number[]): string => {
      const s = sorted(values);
      return `${pct(s[Math.floor((s.length - 1) / 4)]!)} … ${pct(s[Math.ceil((3 * (s.length - 1)) / 4)]!)}`;
    };
    const cpu = pairs('cpu');
    rows.push([name, median(bareRuns.map((r) => r.cpu)).toFixed(0), median(fullRuns.map((r) => r.cpu)).toFixed(0), pct(median(cpu)), quartiles(cpu), pct(median(pairs('wall')))]);
  }
  const header = ['model', 'bare samples/CPU-s', 'instrumented samples/CPU-s', 'overhead (CPU)', 'quartiles of the pairs (CPU)', 'overhead (wall)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

void main();
