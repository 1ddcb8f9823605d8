/**
 * `trainbench train SPEC`: headless training on the same engine the app uses. Progress goes
 * to stderr; with --json, stdout holds one JSON document describing every run.
 */
import type { Spec } from '@contract';
import { parseArgs, intFlag, type HostFor } from './args';
import { specFromArgs } from './specFiles';
import { RunsFolderSetting, defaultSettingsFile } from './runsFolder';
import { trainOne, type RunResult } from './seedRuns';
import { summaryLines, summaryOf } from './seedReport';

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
  });
  const { spec, source } = specFromArgs('train', args);
  const repeat = intFlag(args, 'repeat', 1, 1, 10_000);
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
    if (json) process.stdout.write(`${JSON.stringify({ backend: info.backend, spec, runs, summary })}\n`);
    // Runs that stopped on NaN count as finished: the finding is the result.
    return runs.every((run) => run.status === 'done' || run.status === 'stopped') ? 0 : 1;
  } finally {
    host.dispose();
  }
}
