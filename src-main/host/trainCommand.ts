/**
 * `trainbench train SPEC`: headless training on the same engine the app uses. Progress goes
 * to stderr; with --json, stdout holds one JSON document describing every run. With --fix,
 * the first suggestion on the first failed seed trains on the same seeds beside it.
 */
import type { Spec } from '@contract';
import { parseArgs, intFlag, type HostFor } from './args';
import { specFromArgs } from './specFiles';
import { RunsFolderSetting, defaultSettingsFile } from './runsFolder';
import { trainOne, type RunResult } from './seedRuns';
import { summaryLines, summaryOf } from './seedReport';
import { compareTable } from './compareCommand';
import { chooseFix, FIX_DEFAULT_REPEAT, suggestionSets } from './fixRuns';

export type { RunResult } from './seedRuns';

export async function runTrainCommand(argv: string[], hostFor: HostFor): Promise<number> {
  const args = parseArgs(argv, {
    data: { value: true },
    repeat: { value: true },
    seed: { value: true },
    set: { value: true, repeat: true },
    backend: { value: true },
    'runs-dir': { value: true },
    json: { value: false },
    fix: { value: false },
  });
  const { spec, source } = specFromArgs('train', args);
  const fix = args.flags.has('fix');
  const repeat = intFlag(args, 'repeat', fix ? FIX_DEFAULT_REPEAT : 1, 1, 10_000);
  const firstSeed = intFlag(args, 'seed', spec.training.seed, 0, 2 ** 31 - 1 - repeat);
  const runsDir = new RunsFolderSetting(args.flags.get('runs-dir')?.[0], defaultSettingsFile()).path;
  const json = args.flags.has('json');

  const host = hostFor(args);
  try {
    const info = await host.start();
    process.stderr.write(`training ${spec.name ?? source} on ${info.backend}: ${repeat} seed(s) from ${firstSeed}\n`);
    const runs: RunResult[] = [];
    for (let r = 0; r < repeat; r++) {
      const seeded: Spec = { ...spec, training: { ...spec.training, seed: firstSeed + r } };
      runs.push(await trainOne(host, seeded, runsDir, repeat > 1));
    }
    const summary = summaryOf(runs, spec);
    if (repeat > 1 || spec.success) for (const line of summaryLines(summary, spec)) process.stderr.write(`${line}\n`);
    const finished = (list: RunResult[]): boolean => list.every((run) => run.status === 'done' || run.status === 'stopped');
    if (!fix) {
      if (json) process.stdout.write(`${JSON.stringify({ backend: info.backend, spec, runs, summary })}\n`);
      // Runs that stopped on NaN count as finished: the finding is the result.
      return finished(runs) ? 0 : 1;
    }
    const choice = chooseFix(spec, runs);
    if (!choice.fix) {
      process.stderr.write(`--fix: ${choice.reason}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ backend: info.backend, spec, runs, summary, fix: { tried: false, reason: choice.reason } })}\n`);
      return finished(runs) ? 0 : 1;
    }
    const chosen = choice.fix;
    process.stderr.write(`--fix: seed ${chosen.seed} failed with ${chosen.finding.code}${chosen.finding.layer ? ` in ${chosen.finding.layer}` : ''}; trying its first suggestion, "${chosen.suggestion.label}" (${suggestionSets(chosen.suggestion).join(', ')}), on the same ${repeat} seed(s)\n`);
    const fixedRuns: RunResult[] = [];
    for (let r = 0; r < repeat; r++) {
      const seeded: Spec = { ...chosen.spec, training: { ...chosen.spec.training, seed: firstSeed + r } };
      fixedRuns.push(await trainOne(host, seeded, runsDir, true, 'fix'));
    }
    const fixedSummary = summaryOf(fixedRuns, chosen.spec);
    const name = spec.name ?? source;
    for (const line of compareTable([
      { letter: 'A', label: `${name} as it is`, summary },
      { letter: 'B', label: `${name} + ${chosen.suggestion.label}`, summary: fixedSummary },
    ])) process.stderr.write(`${line}\n`);
    if (json) {
      const fixJson = { tried: true, fromSeed: chosen.seed, finding: chosen.finding, suggestion: chosen.suggestion, spec: chosen.spec, runs: fixedRuns, summary: fixedSummary };
      process.stdout.write(`${JSON.stringify({ backend: info.backend, spec, runs, summary, fix: fixJson })}\n`);
    }
    return finished(runs) && finished(fixedRuns) ? 0 : 1;
  } finally {
    host.dispose();
  }
}
