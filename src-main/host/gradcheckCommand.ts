/**
 * `trainbench gradcheck SPEC`: the gradient check on the same engine the app uses. Progress
 * goes to stderr; stdout holds the per-layer table, or with --json the report. Exits 1 when
 * any layer fails.
 */
import { parseResponse, type GradcheckProgress } from '@contract';
import { parseArgs, intFlag, type HostFor } from './args';
import { specFromArgs } from './specFiles';
import { formatGradcheck, gradcheckExitCode } from './gradcheckTable';

export async function runGradcheckCommand(argv: string[], hostFor: HostFor): Promise<number> {
  const args = parseArgs(argv, {
    data: { value: true },
    seed: { value: true },
    samples: { value: true },
    set: { value: true, repeat: true },
    backend: { value: true },
    json: { value: false },
  });
  const { spec, source } = specFromArgs('gradcheck', args);
  const seed = intFlag(args, 'seed', spec.training.seed, 0, 2 ** 31 - 1);
  const samples = intFlag(args, 'samples', 8, 1, 256);

  const host = hostFor(args);
  const interactive = process.stderr.isTTY === true;
  const off = host.onEvent((channel, payload) => {
    if (channel !== 'diagnose.gradcheck.progress') return;
    const { done, total, layer } = payload as GradcheckProgress;
    const text = `  ${done}/${total} parameters${layer ? ` (${layer})` : ''}`;
    if (interactive) process.stderr.write(`\r${text}\x1b[K`);
    else if (done === total) process.stderr.write(`${text}\n`);
  });
  try {
    const info = await host.start();
    process.stderr.write(`gradient check of ${spec.name ?? source} on ${info.backend}\n`);
    const report = parseResponse('diagnose.gradcheck', await host.request('diagnose.gradcheck', { spec, seed, samples }));
    if (interactive) process.stderr.write('\n');
    process.stdout.write(args.flags.has('json') ? `${JSON.stringify(report)}\n` : formatGradcheck(report));
    return gradcheckExitCode(report);
  } finally {
    off();
    host.dispose();
  }
}
