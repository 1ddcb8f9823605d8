/**
 * The PyTorch export measured against Trainbench with a real PyTorch (issue 18):
 *   1. relu-abs, mnist-mlp, mnist-cnn: max |torch − tfjs| over the probe batch's outputs from the
 *      same weights, the script's seed initialisation against Network.build's, weights round-trip;
 *   2. relu-abs over 40 seeds: Trainbench's success rate (`trainbench train relu-abs --repeat 40
 *      --json`) and the exported script's, each with its 95 % Wilson interval, whether PyTorch's
 *      rate lies inside Trainbench's interval, and on how many seeds the two agree;
 *   3. mnist-mlp: validation accuracy of one Trainbench run and one run of the exported script.
 *
 *   npm run bench -- pytorch-export [--seeds 40] [--no-mlp]
 *
 * Trainbench trains on its best backend here (wasm without the native ones); PyTorch on the CPU.
 * The mnist-mlp rows take the longest (60 epochs each side).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wilsonInterval, type Spec } from '@contract';
import { registerWasmGradientKernels } from '../src-main/engine/backend/wasmGradients';
import { loadPresets } from '../src-main/engine/presets';
import { builtinData } from '../src-main/engine/training/builtinData';
import { exportSpec } from '../src-main/engine/export/runExport';
import { compareWithTorch, torchPython, trainbenchSide } from '../test/support/torchExport';

const args = process.argv.slice(2);
const seedsAt = args.indexOf('--seeds');
const SEEDS = seedsAt >= 0 ? Number(args[seedsAt + 1]) : 40;
const MLP = !args.includes('--no-mlp');

const py = torchPython();
if ('missing' in py) {
  console.error(py.missing);
  process.exit(1);
}
const PYTHON = py.python;
const work = mkdtempSync(join(tmpdir(), 'tb-bench-torch-'));
const presets = new Map(loadPresets().map((p) => [p.name, p.spec]));
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const interval = ([lo, hi]: [number, number]): string => `${(lo * 100).toFixed(0)}–${(hi * 100).toFixed(0)} %`;

interface Final {
  seed: number;
  loss: number | null;
  valAccuracy: number | null;
  success: boolean | null;
  seconds?: number;
}

/** `trainbench train NAME --json`'s runs, trained by the CLI as a person would. */
function trainbench(name: string, extra: string[]): { backend: string; runs: Final[]; seconds: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['src-main/bin/trainbench.mjs', 'train', name, ...extra, '--json', '--runs-dir', join(work, 'runs')], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`trainbench train ${name} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const doc = JSON.parse(r.stdout) as { backend: string; runs: { seed: number; final: { loss: number | null; valAccuracy: number | null; success: boolean | null } | null }[] };
  return {
    backend: doc.backend,
    runs: doc.runs.map((run) => ({ seed: run.seed, loss: run.final?.loss ?? null, valAccuracy: run.final?.valAccuracy ?? null, success: run.final?.success ?? null })),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The exported script's main() for each seed, in one Python process (torch imports once). */
async function pytorch(spec: Spec, name: string, seeds: number[]): Promise<{ runs: Final[]; seconds: number }> {
  const dir = join(work, name);
  await exportSpec(spec, name, dir);
  const driver = join(work, `${name}-seeds.py`);
  writeFileSync(
    driver,
    `import contextlib, io, json, sys
sys.path.insert(0, ${JSON.stringify(dir)})
import train
for seed in ${JSON.stringify(seeds)}:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        train.main(["--seed", str(seed), "--json"])
    print(out.getvalue().strip().splitlines()[-1], flush=True)
`,
  );
  const started = performance.now();
  const r = spawnSync(PYTHON, [driver], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`the exported ${name} script failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const runs = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as Final);
  return { runs, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  registerWasmGradientKernels(tf);
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`PyTorch export against Trainbench (tfjs ${tf.version.tfjs} on ${tf.getBackend()} for the outputs; ${PYTHON} with torch ${spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim()})\n`);

  console.log('| preset | max abs diff, outputs on the probe batch | max abs diff, seed initialisation | weights round-trip |');
  console.log('|---|---|---|---|');
  for (const name of ['relu-abs', 'mnist-mlp', 'mnist-cnn']) {
    const spec = presets.get(name)!;
    const data = builtinData(spec);
    const side = trainbenchSide(spec, data);
    const result = compareWithTorch(spec, data, side, true);
    console.log(`| ${name} | ${result.outputDiff.toExponential(2)} | ${result.initDiff === null ? '—' : result.initDiff.toExponential(2)} | ${result.roundTrip ? 'bit for bit' : 'DIFFERS'} |`);
  }

  const seeds = Array.from({ length: SEEDS }, (_, i) => presets.get('relu-abs')!.training.seed + i);
  const tb = trainbench('relu-abs', ['--repeat', String(SEEDS)]);
  const pt = await pytorch(presets.get('relu-abs')!, 'relu-abs', seeds);
  const tbWins = tb.runs.filter((r) => r.success).length;
  const ptWins = pt.runs.filter((r) => r.success).length;
  const tbInterval = wilsonInterval(tbWins, SEEDS);
  const ptRate = ptWins / SEEDS;
  const inside = ptRate >= tbInterval[0] && ptRate <= tbInterval[1];
  const agree = seeds.filter((seed) => tb.runs.find((r) => r.seed === seed)?.success === pt.runs.find((r) => r.seed === seed)?.success).length;
  const lossGap = Math.max(...seeds.map((seed) => Math.abs((tb.runs.find((r) => r.seed === seed)?.loss ?? NaN) - (pt.runs.find((r) => r.seed === seed)?.loss ?? NaN))));
  console.log(`\nrelu-abs, seeds ${seeds[0]}–${seeds[seeds.length - 1]}, success: final loss < 0.01`);
  console.log('| trainer | successes | rate | 95 % interval | time |');
  console.log('|---|---|---|---|---|');
  console.log(`| Trainbench (${tb.backend}) | ${tbWins}/${SEEDS} | ${pct(tbWins / SEEDS)} | ${interval(tbInterval)} | ${tb.seconds.toFixed(0)} s |`);
  console.log(`| exported train.py (torch) | ${ptWins}/${SEEDS} | ${pct(ptRate)} | ${interval(wilsonInterval(ptWins, SEEDS))} | ${pt.seconds.toFixed(0)} s |`);
  console.log(`PyTorch's rate ${inside ? 'lies inside' : 'is OUTSIDE'} Trainbench's 95 % interval; the same outcome on ${agree} of ${SEEDS} seeds; final losses differ by at most ${lossGap.toExponential(1)}`);

  if (MLP) {
    const spec = presets.get('mnist-mlp')!;
    const tbMlp = trainbench('mnist-mlp', []);
    const ptMlp = await pytorch(spec, 'mnist-mlp', [spec.training.seed]);
    const a = tbMlp.runs[0]!.valAccuracy;
    const b = ptMlp.runs[0]!.valAccuracy;
    const gap = a !== null && b !== null ? Math.abs(a - b) * 100 : NaN;
    console.log(`\nmnist-mlp, seed ${spec.training.seed}, ${spec.training.epochs} epochs: validation accuracy on the 2,000 held-out digits`);
    console.log('| trainer | val accuracy | time |');
    console.log('|---|---|---|');
    console.log(`| Trainbench (${tbMlp.backend}) | ${a === null ? '—' : pct(a)} | ${tbMlp.seconds.toFixed(0)} s |`);
    console.log(`| exported train.py (torch) | ${b === null ? '—' : pct(b)} | ${ptMlp.seconds.toFixed(0)} s |`);
    console.log(`difference ${gap.toFixed(2)} points: ${gap <= 1 ? 'within' : 'NOT within'} 1 point`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
