/**
 * What the diagnosis costs (issue 16: ≤ 5 % of training time, with the lifecycle, the cause
 * chain and every detector on): each preset trains in this process on the wasm backend as the
 * engine trains it, every step, epoch, probe and snapshot fed to a Diagnosis, whose own clock
 * (Diagnosis.cost: the time inside its handlers) is set against the run's wall time.
 *
 *   npm run bench -- diagnosis-cost [--epochs-cap N]
 *
 * The MNIST presets train a capped number of epochs (default 1; relu-abs and xor train whole),
 * enough steps for every windowed detector to run many times over.
 */
import { Spec } from '@contract';
import { selectBackend } from '../src-main/engine/backend/selectBackend';
import { Diagnosis, staticChecks } from '../src-main/engine/diagnosis/diagnosis';
import { loadPresets } from '../src-main/engine/presets';
import { builtinData } from '../src-main/engine/training/builtinData';
import { Trainer } from '../src-main/engine/training/trainer';

const capArg = process.argv.indexOf('--epochs-cap');
const CAP = capArg > 0 ? Number(process.argv[capArg + 1]) : 1;
const WHOLE = new Set(['relu-abs', 'xor']);

interface Row {
  preset: string;
  steps: number;
  seconds: number;
  diagnosisMs: number;
  calls: number;
  findings: number;
}

async function measure(name: string, spec: Spec): Promise<Row> {
  const data = builtinData(spec);
  const statics = staticChecks(spec, { task: data.task, outputs: data.outputs, inputShape: data.inputShape, valueRange: data.rawRange ?? { min: 0, max: 1 } });
  let diagnosis: Diagnosis | null = null;
  let steps = 0;
  const trainer = new Trainer('bench', spec, data, 'wasm', {
    onStart: (info) => {
      diagnosis = new Diagnosis(spec, info, {}, statics);
    },
    onStep: (point) => {
      steps++;
      diagnosis?.onStep(point);
    },
    onEpoch: (summary) => diagnosis?.onEpoch(summary),
    onProbe: (step, epoch, layers, surface) => diagnosis?.onProbe({ step, epoch, layers, surface }),
    onSnapshot: (snapshot) => diagnosis?.onSnapshot(snapshot),
    onNonFinite: (report) => diagnosis?.onNonFinite(report),
    onStatus: (_status, final) => {
      if (final) diagnosis?.finish(final);
    },
  });
  const started = performance.now();
  await trainer.run();
  const seconds = (performance.now() - started) / 1000;
  const d = diagnosis as Diagnosis | null;
  return { preset: name, steps, seconds, diagnosisMs: d?.cost.ms ?? 0, calls: d?.cost.calls ?? 0, findings: d?.findings().length ?? 0 };
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  const rows: Row[] = [];
  for (const { name, spec } of loadPresets()) {
    const capped = WHOLE.has(name) ? spec : Spec.parse({ ...spec, training: { ...spec.training, epochs: Math.min(spec.training.epochs, CAP) } });
    process.stderr.write(`${name}: ${capped.training.epochs} epoch(s)…\n`);
    rows.push(await measure(name, capped));
  }
  const header = ['preset', 'steps', 'training s', 'diagnosis ms', 'per call µs', 'share', 'findings'];
  const body = rows.map((r) => [r.preset, String(r.steps), r.seconds.toFixed(1), r.diagnosisMs.toFixed(0), r.calls ? ((1000 * r.diagnosisMs) / r.calls).toFixed(1) : '—', `${((100 * r.diagnosisMs) / (1000 * r.seconds)).toFixed(2)} %`, String(r.findings)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: string[]): string => cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  const worst = Math.max(...rows.map((r) => r.diagnosisMs / (1000 * r.seconds)));
  console.log(`\nlargest share: ${(100 * worst).toFixed(2)} % of training time (goal ≤ 5 %)`);
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
