/**
 * `trainbench compare SPEC_A SPEC_B [SPEC_C SPEC_D] --repeat N`: two to four specs trained
 * on the same seeds, one table with a row per spec (success rate with its 95 % interval, the
 * final-loss distribution, findings by outcome). `--set path=value` changes every spec,
 * `--set B:path=value` only the second; so `compare relu-abs relu-abs --set
 * B:model.layers.0.activation=elu` is ReLU against ELU on the same seeds.
 */
import type { Spec } from '@contract';
import { changeLabel, formatLoss, shortOutcomeRow } from '@contract';
import { parseArgs, intFlag, UsageError, type HostFor } from './args';
import { applyOverrides, readSpecSource, validateSpec } from './specFiles';
import { RunsFolderSetting, defaultSettingsFile } from './runsFolder';
import { trainOne, type RunResult } from './seedRuns';
import { summaryOf, type SeedSummaryJson } from './seedReport';

export const COMPARE_LETTERS = ['A', 'B', 'C', 'D'] as const;

export interface ComparedSpec {
  letter: string;
  /** The SPEC argument as given (a preset name or a file). */
  source: string;
  /** The `--set` overrides this spec got, its own and the shared ones. */
  sets: string[];
  /** "relu-abs model.layers.0.activation=elu": what the row is called. */
  label: string;
  spec: Spec;
}

/** Splits `--set` values into the shared ones and those for one spec (`B:path=value`). */
export function setsFor(sets: string[], count: number): string[][] {
  const per: string[][] = Array.from({ length: count }, () => []);
  const shared: string[] = [];
  for (const set of sets) {
    const match = /^([A-Z]):(.*)$/.exec(set);
    if (!match) {
      shared.push(set);
      continue;
    }
    const index = COMPARE_LETTERS.indexOf(match[1] as (typeof COMPARE_LETTERS)[number]);
    if (index < 0 || index >= count) throw new UsageError(`--set ${set}: there is no spec ${match[1]} (specs are ${COMPARE_LETTERS.slice(0, count).join(', ')}, in the order given)`);
    per[index]!.push(match[2]!);
  }
  return per.map((own) => [...shared, ...own]);
}

/** Reads and validates each SPEC with its overrides; errors name the spec's letter. */
export function comparedSpecs(sources: string[], sets: string[]): ComparedSpec[] {
  if (sources.length < 2 || sources.length > COMPARE_LETTERS.length) throw new UsageError(`compare needs 2 to 4 SPECs, got ${sources.length}`);
  const per = setsFor(sets, sources.length);
  return sources.map((source, i) => {
    const letter = COMPARE_LETTERS[i]!;
    const own = per[i]!;
    const { raw, origin } = readSpecSource(source);
    let spec: Spec;
    try {
      spec = validateSpec(applyOverrides(raw, own), origin);
    } catch (error) {
      throw new Error(`spec ${letter} (${source}): ${error instanceof Error ? error.message : String(error)}`);
    }
    const shared = sets.filter((s) => !/^[A-Z]:/.test(s));
    const distinct = own.filter((s) => !shared.includes(s));
    return { letter, source, sets: own, label: [spec.name ?? source, ...distinct.map(changeLabel)].join(' '), spec };
  });
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${Math.round(v * 100)} %`);

/** One row per spec: the comparison at a glance, for stderr. */
export function compareTable(rows: { letter: string; label: string; summary: SeedSummaryJson }[]): string[] {
  const header = ['', 'spec', 'success', '95 % interval', 'final loss: min', 'q1', 'median', 'q3', 'max', 'findings (in failures · in successes)'];
  const body = rows.map(({ letter, label, summary }) => {
    const loss = summary.finalLoss;
    const cell = (v: number | undefined): string => (v === undefined ? '—' : formatLoss(v));
    const findings = (summary.findingsBySuccess ?? []).map(shortOutcomeRow).join(', ');
    return [
      letter,
      label,
      summary.judged ? `${summary.successes}/${summary.judged} ${pct(summary.successRate)}` : 'not judged',
      summary.confidence95 && summary.judged ? `${pct(summary.confidence95[0])}–${pct(summary.confidence95[1])}` : '—',
      cell(loss?.min),
      cell(loss?.q1),
      cell(loss?.median),
      cell(loss?.q3),
      cell(loss?.max) + (summary.nonFiniteLosses > 0 ? ` (+${summary.nonFiniteLosses} NaN)` : ''),
      findings || 'none',
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((v, c) => (c === cells.length - 1 ? v : v.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)];
}

export async function runCompareCommand(argv: string[], hostFor: HostFor): Promise<number> {
  const args = parseArgs(argv, {
    repeat: { value: true },
    seed: { value: true },
    set: { value: true, repeat: true },
    backend: { value: true },
    'runs-dir': { value: true },
    json: { value: false },
  });
  const specs = comparedSpecs(args.positional, args.flags.get('set') ?? []);
  const repeat = intFlag(args, 'repeat', 1, 1, 10_000);
  const firstSeed = intFlag(args, 'seed', specs[0]!.spec.training.seed, 0, 2 ** 31 - 1 - repeat);
  const seeds = Array.from({ length: repeat }, (_, i) => firstSeed + i);
  const runsDir = new RunsFolderSetting(args.flags.get('runs-dir')?.[0], defaultSettingsFile()).path;

  const host = hostFor(args);
  try {
    const info = await host.start();
    process.stderr.write(`comparing ${specs.length} specs on ${info.backend}, the same ${repeat} seed(s) from ${firstSeed}:\n`);
    for (const s of specs) process.stderr.write(`  ${s.letter}: ${s.label}\n`);
    const runs: RunResult[][] = specs.map(() => []);
    // Seed by seed, every spec in turn: stopped half-way, the seeds done are still paired.
    for (const seed of seeds) {
      for (const [i, s] of specs.entries()) {
        const seeded: Spec = { ...s.spec, training: { ...s.spec.training, seed } };
        const run = await trainOne(host, seeded, runsDir, true, s.letter);
        const loss = run.final?.loss;
        const verdict = run.final?.success === true ? 'success' : run.final?.success === false ? 'failure' : run.status;
        process.stderr.write(`  ${s.letter} seed ${seed}: ${verdict}, final loss ${loss === null || loss === undefined ? 'NaN' : formatLoss(loss)}\n`);
        runs[i]!.push(run);
      }
    }
    const rows = specs.map((s, i) => ({ letter: s.letter, label: s.label, source: s.source, sets: s.sets, spec: s.spec, runs: runs[i]!, summary: summaryOf(runs[i]!, s.spec) }));
    for (const line of compareTable(rows)) process.stderr.write(`${line}\n`);
    if (args.flags.has('json')) process.stdout.write(`${JSON.stringify({ backend: info.backend, seeds, specs: rows })}\n`);
    return runs.flat().every((run) => run.status === 'done' || run.status === 'stopped') ? 0 : 1;
  } finally {
    host.dispose();
  }
}
