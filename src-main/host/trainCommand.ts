/**
 * `trainbench train SPEC`: headless training on the same engine the app uses. Progress goes
 * to stderr; with --json, stdout holds one JSON document describing every run.
 */
import { findingKey, type BackendName, type EpochSummary, type EventOf, type Finding, type JobStatus, type NonFiniteReport, type RunFinal, type Spec } from '@contract';
import type { EngineHost } from './engineHost';
import { parseArgs, intFlag, UsageError, type ParsedArgs } from './args';
import { applyOverrides, dataRefFor, readSpecSource, validateSpec } from './specFiles';
import { RunsFolderSetting, defaultSettingsFile } from './runsFolder';

export interface RunResult {
  seed: number;
  runDir: string | null;
  status: JobStatus;
  error?: string;
  epochs: { epoch: number; loss: number | null; metrics: { accuracy?: number | null }; valLoss?: number | null; valMetrics?: { accuracy?: number | null } }[];
  final: RunFinal | null;
  nonFinite: NonFiniteReport | null;
  /** Each finding in its latest form, in the order first raised. */
  findings: Finding[];
}

/**
 * Which warning-or-worse codes occurred in the failed seeds and in the successful ones:
 * "dead-units in 9 of 11 failures, 0 of 9 successes".
 */
export function findingsBySuccess(runs: RunResult[]): { code: string; failures: number; successes: number; failed: number; succeeded: number }[] {
  const judged = runs.filter((r) => r.final?.success === true || r.final?.success === false);
  const failed = judged.filter((r) => r.final?.success === false);
  const succeeded = judged.filter((r) => r.final?.success === true);
  const codes = new Set(judged.flatMap((r) => r.findings.filter((f) => f.severity !== 'info').map((f) => f.code)));
  const has = (run: RunResult, code: string): boolean => run.findings.some((f) => f.code === code && f.severity !== 'info');
  return [...codes].sort().map((code) => ({
    code,
    failures: failed.filter((r) => has(r, code)).length,
    successes: succeeded.filter((r) => has(r, code)).length,
    failed: failed.length,
    succeeded: succeeded.length,
  }));
}

/** Wilson score interval for a success rate: sound for small N and rates near 0 or 1. */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export async function runTrainCommand(
  argv: string[],
  createHost: (backend: BackendName | undefined) => EngineHost,
  backendFlag: (args: ParsedArgs) => BackendName | undefined,
): Promise<number> {
  const args = parseArgs(argv, {
    data: { value: true },
    repeat: { value: true },
    seed: { value: true },
    set: { value: true, repeat: true },
    backend: { value: true },
    'runs-dir': { value: true },
    json: { value: false },
  });
  const [source, ...extra] = args.positional;
  if (!source) throw new UsageError('train needs a SPEC: a spec file or a preset name');
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const repeat = intFlag(args, 'repeat', 1, 1, 10_000);
  const { raw, origin } = readSpecSource(source);
  let overridden = applyOverrides(raw, args.flags.get('set') ?? []);
  const data = args.flags.get('data')?.[0];
  if (data) overridden = { ...(overridden as object), dataset: dataRefFor(data) };
  const spec = validateSpec(overridden, origin);
  const firstSeed = intFlag(args, 'seed', spec.training.seed, 0, 2 ** 31 - 1 - repeat);
  const runsDir = new RunsFolderSetting(args.flags.get('runs-dir')?.[0], defaultSettingsFile()).path;
  const json = args.flags.has('json');

  const host = createHost(backendFlag(args));
  try {
    const info = await host.start();
    process.stderr.write(`training ${spec.name ?? source} on ${info.backend}: ${repeat} seed(s) from ${firstSeed}\n`);
    const runs: RunResult[] = [];
    for (let r = 0; r < repeat; r++) {
      const seeded: Spec = { ...spec, training: { ...spec.training, seed: firstSeed + r } };
      runs.push(await trainOne(host, seeded, runsDir, repeat > 1));
    }
    const judged = runs.filter((run) => run.final?.success !== null && run.final?.success !== undefined);
    const successes = judged.filter((run) => run.final?.success === true).length;
    const summary: Record<string, unknown> = { repeat };
    if (spec.success) {
      summary['successRate'] = judged.length > 0 ? successes / judged.length : null;
      summary['successes'] = successes;
      summary['confidence95'] = wilsonInterval(successes, judged.length);
      const [low, high] = wilsonInterval(successes, judged.length);
      process.stderr.write(`success: ${successes} of ${judged.length} seeds (${spec.success.metric} ${spec.success.op} ${spec.success.value}), 95 % interval ${(low * 100).toFixed(0)}–${(high * 100).toFixed(0)} %\n`);
      const byCode = findingsBySuccess(runs);
      summary['findingsBySuccess'] = byCode;
      for (const row of byCode) process.stderr.write(`  ${row.code} in ${row.failures} of ${row.failed} failures, ${row.successes} of ${row.succeeded} successes\n`);
    }
    if (json) process.stdout.write(`${JSON.stringify({ backend: info.backend, spec, runs, summary })}\n`);
    // Runs that stopped on NaN count as finished: the finding is the result.
    return runs.every((run) => run.status === 'done' || run.status === 'stopped') ? 0 : 1;
  } finally {
    host.dispose();
  }
}

async function trainOne(host: EngineHost, spec: Spec, runsDir: string, quiet: boolean): Promise<RunResult> {
  // Events can arrive before the response that names the job: keep them all, keyed by job.
  const epochsByJob = new Map<string, EpochSummary[]>();
  const ended = new Map<string, EventOf<'train.status'>>();
  const nonFinite = new Map<string, NonFiniteReport>();
  const findingsByJob = new Map<string, Map<string, Finding>>();
  let crashed: string | null = null;
  let wake: () => void = () => undefined;
  const seed = spec.training.seed;
  // About 25 progress lines a run, whatever the epoch count.
  const printEvery = Math.max(1, Math.ceil(spec.training.epochs / 25));
  const off = host.onEvent((channel, payload) => {
    if (channel === 'train.update') {
      const { jobId, epochs } = payload as EventOf<'train.update'>;
      const list = epochsByJob.get(jobId) ?? [];
      list.push(...epochs);
      epochsByJob.set(jobId, list);
      for (const summary of epochs) {
        const last = summary.epoch === spec.training.epochs - 1;
        if (!last && (quiet || summary.epoch % printEvery !== 0)) continue;
        const acc = summary.accuracy !== null ? ` acc ${(summary.accuracy * 100).toFixed(1)}%` : '';
        const val = summary.valLoss !== null ? ` val_loss ${summary.valLoss.toFixed(4)}${summary.valAccuracy !== null ? ` val_acc ${(summary.valAccuracy * 100).toFixed(1)}%` : ''}` : '';
        process.stderr.write(`  seed ${seed} epoch ${summary.epoch + 1}/${spec.training.epochs} loss ${summary.loss?.toFixed(4) ?? 'NaN'}${acc}${val}\n`);
      }
    } else if (channel === 'train.finding') {
      const { jobId, finding, change } = payload as EventOf<'train.finding'>;
      const byKey = findingsByJob.get(jobId) ?? new Map<string, Finding>();
      byKey.set(findingKey(finding), finding);
      findingsByJob.set(jobId, byKey);
      if (!quiet && change === 'new' && finding.severity !== 'info') process.stderr.write(`  [${finding.severity}] ${finding.code}: ${finding.message}\n`);
    } else if (channel === 'train.nonFinite') {
      const report = payload as NonFiniteReport;
      nonFinite.set(report.jobId, report);
      process.stderr.write(`  seed ${seed}: ${report.kind} in the ${report.tensor}${report.layer ? ` of ${report.layer}` : ''} at step ${report.step} (epoch ${report.epoch + 1})\n`);
    } else if (channel === 'train.status') {
      const event = payload as EventOf<'train.status'>;
      if (event.status !== 'running' && event.status !== 'paused') ended.set(event.jobId, event);
    } else if (channel === 'engine.status') {
      const event = payload as EventOf<'engine.status'>;
      if (event.state === 'crashed') crashed = event.message;
    }
    wake();
  });
  try {
    const job = await host.request('train.start', { spec, runsDir });
    const id = (job as { jobId: string }).jobId;
    const status = await new Promise<EventOf<'train.status'>>((resolve) => {
      wake = () => {
        const end = ended.get(id);
        if (end) resolve(end);
        else if (crashed !== null) resolve({ jobId: id, status: 'failed', error: crashed });
      };
      wake();
    });
    const epochs = (epochsByJob.get(id) ?? []).map((e) => ({
      epoch: e.epoch,
      loss: e.loss,
      metrics: e.accuracy !== null ? { accuracy: e.accuracy } : {},
      ...(e.valLoss !== null ? { valLoss: e.valLoss, valMetrics: e.valAccuracy !== null ? { accuracy: e.valAccuracy } : {} } : {}),
    }));
    const runDir = (job as { runDir?: string }).runDir ?? null;
    const findings = [...(findingsByJob.get(id)?.values() ?? [])];
    const result: RunResult = { seed, runDir, status: status.status, epochs, final: status.final ?? null, nonFinite: nonFinite.get(id) ?? null, findings };
    if (status.error) result.error = status.error;
    if (status.error) process.stderr.write(`  seed ${seed} failed: ${status.error}\n`);
    return result;
  } finally {
    off();
  }
}
