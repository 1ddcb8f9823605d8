/**
 * The diagnosis corpus (test/fixtures/cases, issue 16): trains every case with the engine the
 * CLI uses and prints, case by case, what it should raise and what it raised, then each
 * code's precision and recall and the summary (buggy cases diagnosed, healthy cases quiet).
 *
 *   npm run bench -- diagnosis [--fast] [--kind buggy|healthy] [--only ID,ID…] [--seed S] [--json FILE]
 *
 * --seed trains every case on that training seed instead of its own (the data stay as they are),
 * to see whether a verdict holds beyond one draw of the initial weights and batches.
 *
 * A buggy case is a hit when every expected code is raised (as a warning or an error, at any
 * time), partial when some are, a miss when none is; codes raised that it neither expects nor
 * counts as right (alsoRight) are its false alarms. A healthy case is quiet when it raises no
 * warning or error at all.
 */
import { writeFileSync } from 'node:fs';
import type { FindingCode } from '@contract';
import { caseSpec, loadCases, trainCase, unexpected, type CaseRun, type CorpusCase } from '../test/fixtures/cases/corpus';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = flag('only')?.split(',');
const fastOnly = args.includes('--fast');
const jsonOut = flag('json');
const kind = flag('kind');
const seed = flag('seed') !== undefined ? Number(flag('seed')) : undefined;

type Outcome = 'hit' | 'partial' | 'miss' | 'quiet' | 'false alarm' | 'failed' | 'refused';

function outcome(c: CorpusCase, run: CaseRun): Outcome {
  if (run.status === 'failed' || run.status === 'refused') return run.status;
  if (c.kind === 'healthy') return run.anyTime.length === 0 ? 'quiet' : 'false alarm';
  const got = c.expected.filter((code) => run.anyTime.includes(code)).length;
  return got === c.expected.length ? 'hit' : got > 0 ? 'partial' : 'miss';
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const list = (codes: readonly string[]): string => (codes.length ? codes.join(' ') : '—');
const host = (url: string): string => url.replace(/^https?:\/\/(www\.)?/, '').replace(/\/.*$/, '');

async function main(): Promise<void> {
  const cases = loadCases().filter((c) => (!only || only.includes(c.id)) && (!fastOnly || c.fast) && (!kind || c.kind === kind));
  const rows: { c: CorpusCase; run: CaseRun; outcome: Outcome; extra: FindingCode[] }[] = [];
  const started = performance.now();
  for (const c of cases) {
    process.stderr.write(`${c.id} … `);
    const spec = caseSpec(c);
    const run = await trainCase(c, seed === undefined ? spec : { ...spec, training: { ...spec.training, seed } });
    const o = outcome(c, run);
    rows.push({ c, run, outcome: o, extra: unexpected(c, run) });
    process.stderr.write(`${o} (${(run.ms / 1000).toFixed(1)} s${run.error ? `, ${run.error}` : ''})\n`);
  }
  const total = (performance.now() - started) / 1000;

  const table = rows.map(({ c, run, outcome: o, extra }) => [c.id, host(c.source), list(c.expected), list(run.anyTime), list(run.atEnd), o, list(extra)]);
  const head = ['case', 'source', 'expected', 'raised (any time)', 'active at end', 'outcome', 'false alarms'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ');
  console.log(`\nDiagnosis corpus${seed !== undefined ? ` (training seed ${seed})` : ''}: ${rows.length} cases (${rows.filter((r) => r.c.kind === 'buggy').length} buggy, ${rows.filter((r) => r.c.kind === 'healthy').length} healthy), ${total.toFixed(0)} s\n`);
  console.log(line(head));
  for (const r of table) console.log(line(r));
  const gaps = rows.filter((r) => r.c.knownGap && r.outcome !== 'hit');
  if (gaps.length) {
    console.log('\nknown gaps:');
    for (const r of gaps) console.log(`  ${r.c.id}: ${r.c.knownGap}`);
  }

  // Per code: recall over the cases that expect it; precision over every case that raised it
  // (right where the case expects it or counts it as right, a false alarm elsewhere, healthy cases included).
  const codes = [...new Set(rows.flatMap((r) => [...r.c.expected, ...r.run.anyTime]))].sort();
  console.log(`\n${pad('code', 22)} ${pad('expected', 9)} ${pad('found', 6)} ${pad('recall', 7)} ${pad('raised', 7)} ${pad('right', 6)} precision`);
  for (const code of codes) {
    const expecting = rows.filter((r) => r.c.expected.includes(code));
    const found = expecting.filter((r) => r.run.anyTime.includes(code)).length;
    const raised = rows.filter((r) => r.run.anyTime.includes(code));
    const right = raised.filter((r) => r.c.expected.includes(code) || (r.c.alsoRight ?? []).includes(code)).length;
    const pct = (a: number, b: number): string => (b === 0 ? '—' : `${Math.round((100 * a) / b)} %`);
    console.log(`${pad(code, 22)} ${pad(String(expecting.length), 9)} ${pad(String(found), 6)} ${pad(pct(found, expecting.length), 7)} ${pad(String(raised.length), 7)} ${pad(String(right), 6)} ${pct(right, raised.length)}`);
  }

  const buggy = rows.filter((r) => r.c.kind === 'buggy');
  const healthy = rows.filter((r) => r.c.kind === 'healthy');
  const count = (o: Outcome, of = rows): number => of.filter((r) => r.outcome === o).length;
  console.log(
    `\nbuggy: ${count('hit', buggy)} of ${buggy.length} diagnosed with every expected code, ${count('partial', buggy)} partly, ${count('miss', buggy)} missed${count('failed', buggy) ? `, ${count('failed', buggy)} failed to train` : ''}${count('refused', buggy) ? `, ${count('refused', buggy)} refused by the engine (${buggy.filter((r) => r.outcome === 'refused').map((r) => r.c.id).join(', ')})` : ''}; ` +
      `${buggy.filter((r) => r.extra.length > 0).length} with codes beyond the expected and their consequences`,
  );
  console.log(`healthy: ${count('quiet', healthy)} of ${healthy.length} with no warning or error${count('false alarm', healthy) ? ` (false alarms: ${healthy.filter((r) => r.outcome === 'false alarm').map((r) => `${r.c.id}: ${list(r.run.anyTime)}`).join('; ')})` : ''}`);
  const trainSeconds = rows.reduce((s, r) => s + (r.run.final?.seconds ?? 0), 0);
  console.log(`training time ${trainSeconds.toFixed(0)} s in all`);

  if (jsonOut) {
    writeFileSync(
      jsonOut,
      JSON.stringify(
        rows.map((r) => ({ id: r.c.id, kind: r.c.kind, expected: r.c.expected, anyTime: r.run.anyTime, atEnd: r.run.atEnd, outcome: r.outcome, extra: r.extra, status: r.run.status, final: r.run.final, findings: r.run.findings })),
        null,
        1,
      ),
    );
  }
  process.exit(0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
