/**
 * Do the diagnosis's fixes fix? relu-abs trains on seeds 1–40; on every seed that fails, each
 * suggestion the diagnosis offers (the first as the Train screen and `train --fix` offer it,
 * and the others) trains on that same seed, and the table counts the failures each one fixes.
 *
 *   npm run build && npm run bench -- fixes [--spec relu-abs] [--seeds 40] [--first-only]
 *
 * Goal (issue 16): the first suggestion fixes ≥ 99 % of the failures. Every run goes through
 * the CLI (`out/main/cli.js train … --json`), the engine the app uses, on the wasm backend.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstSuggestion, setPaths, wilsonInterval, type Finding, type Spec, type Suggestion } from '@contract';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SPEC = arg('spec') ?? 'relu-abs';
const SEEDS = Number(arg('seeds') ?? 40);
const FIRST_ONLY = process.argv.includes('--first-only');
const CLI = resolve('out/main/cli.js');

interface Run {
  seed: number;
  status: string;
  final: { success: boolean | null; loss: number | null } | null;
  findings: Finding[];
}
interface TrainDoc {
  spec: Spec;
  runs: Run[];
}

const runsDir = mkdtempSync(join(tmpdir(), 'tb-bench-fixes-'));
const specDir = join('bench', 'results', 'fixes');
mkdirSync(specDir, { recursive: true });

/** Trains `spec` on `seed` onwards; `seed` null keeps the spec's own (a "try another seed" fix). */
function train(spec: string, seed: number | null, repeat: number): TrainDoc {
  const seedArgs = seed === null ? [] : ['--seed', String(seed)];
  const r = spawnSync(process.execPath, [CLI, 'train', spec, ...seedArgs, '--repeat', String(repeat), '--backend', 'wasm', '--runs-dir', runsDir, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`train ${spec} --seed ${seed}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as TrainDoc;
}

const pct = (k: number, n: number): string => (n === 0 ? '—' : `${((100 * k) / n).toFixed(0)} %`);
const interval = (k: number, n: number): string => {
  if (n === 0) return '—';
  const [lo, hi] = wilsonInterval(k, n);
  return `${(lo * 100).toFixed(0)}–${(hi * 100).toFixed(0)} %`;
};

const started = performance.now();
process.stderr.write(`${SPEC}: training seeds 1–${SEEDS}…\n`);
const base = train(SPEC, 1, SEEDS);
const failed = base.runs.filter((run) => run.final?.success !== true);
process.stderr.write(`${failed.length} of ${SEEDS} seeds failed; trying their suggestions on the same seeds…\n`);

interface Tried {
  label: string;
  offered: number;
  fixed: number;
  firstOffered: number;
  firstFixed: number;
}
const tried = new Map<string, Tried>();
const perSeed: string[][] = [];
let firstFixed = 0;
let anyFixed = 0;
let fileNo = 0;
for (const run of failed) {
  const first = firstSuggestion(run.findings);
  const offered: Suggestion[] = [];
  if (first) offered.push(first.suggestion);
  if (!FIRST_ONLY) {
    for (const f of run.findings) for (const s of f.suggestions) if (!offered.some((o) => JSON.stringify(o.set) === JSON.stringify(s.set))) offered.push(s);
  }
  const outcomes: string[] = [];
  let fixedAny = false;
  for (const [i, suggestion] of offered.entries()) {
    const file = join(specDir, `fix-${fileNo++}.json`);
    writeFileSync(file, JSON.stringify(setPaths(base.spec, suggestion.set)));
    const doc = train(file, 'training.seed' in suggestion.set ? null : run.seed, 1);
    const ok = doc.runs[0]?.final?.success === true;
    // "Try another seed (N)" names the next seed, a different one on every seed: one row.
    const anotherSeed = 'training.seed' in suggestion.set && Object.keys(suggestion.set).length === 1;
    const key = anotherSeed ? 'another seed' : JSON.stringify(suggestion.set);
    const t = tried.get(key) ?? { label: anotherSeed ? 'Try another seed (the next one)' : suggestion.label, offered: 0, fixed: 0, firstOffered: 0, firstFixed: 0 };
    t.offered++;
    if (ok) t.fixed++;
    if (i === 0) {
      t.firstOffered++;
      if (ok) t.firstFixed++;
      if (ok) firstFixed++;
    }
    if (ok) fixedAny = true;
    tried.set(key, t);
    outcomes.push(`${i === 0 ? '1st ' : ''}${suggestion.label}: ${ok ? 'fixed' : 'not fixed'}`);
  }
  if (fixedAny) anyFixed++;
  const codes = [...new Set(run.findings.filter((f) => f.state !== 'resolved' && f.severity !== 'info').map((f) => f.code))].join(', ') || '(none)';
  perSeed.push([String(run.seed), codes, first ? first.finding.code : '—', outcomes.join('; ') || 'no suggestion']);
  process.stderr.write(`  seed ${run.seed}: ${outcomes.join('; ') || 'no suggestion'}\n`);
}
rmSync(runsDir, { recursive: true, force: true });

const table = (header: string[], rows: string[][]): void => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((v, c) => (c === cells.length - 1 ? v : v.padEnd(widths[c]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
};

console.log(`\n${SPEC}, seeds 1–${SEEDS}: ${SEEDS - failed.length} succeed as it is, ${failed.length} fail (${((performance.now() - started) / 1000).toFixed(0)} s in all)\n`);
table(['seed', 'warnings/errors at the end', 'first fix from', 'suggestions tried on this seed'], perSeed);
console.log('');
const ranked = [...tried.values()].sort((a, b) => b.fixed / b.offered - a.fixed / a.offered || b.offered - a.offered);
table(
  ['suggestion', 'offered on', 'fixes', 'rate', '95 % interval', 'as the first: fixes'],
  ranked.map((t) => [t.label, `${t.offered} failures`, String(t.fixed), pct(t.fixed, t.offered), interval(t.fixed, t.offered), t.firstOffered ? `${t.firstFixed}/${t.firstOffered}` : '—']),
);
console.log('');
table(
  ['', 'fixed', 'of failures', 'rate', '95 % interval'],
  [
    ['first suggestion', String(firstFixed), String(failed.length), pct(firstFixed, failed.length), interval(firstFixed, failed.length)],
    ...(FIRST_ONLY ? [] : [['some suggestion', String(anyFixed), String(failed.length), pct(anyFixed, failed.length), interval(anyFixed, failed.length)]]),
  ],
);
