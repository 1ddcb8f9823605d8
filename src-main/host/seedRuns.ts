/**
 * Training one spec on one seed through the engine host, as the CLI's `train` and `compare`
 * do it: the events of the job collected into a {@link RunResult}, progress on stderr.
 */
import { findingKey, type EpochSummary, type EventOf, type Finding, type JobStatus, type NonFiniteReport, type RunFinal, type SeedOutcome, type Spec } from '@contract';
import type { EngineHost } from './engineHost';

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

/** What a run contributes to the repeated-trial statistics. */
export function outcomeOf(run: RunResult): SeedOutcome {
  const loss = run.final?.loss ?? null;
  return { seed: run.seed, finalLoss: loss !== null && Number.isFinite(loss) ? loss : null, success: run.final?.success ?? null, findings: run.findings };
}

/**
 * Trains `spec` (its seed as given) to the end. A run that stops on NaN, fails, or loses its
 * engine to a crash still resolves, with that status: the caller's other seeds go on.
 * `label` prefixes the progress lines (the spec's name in a comparison).
 */
export async function trainOne(host: EngineHost, spec: Spec, runsDir: string, quiet: boolean, label = ''): Promise<RunResult> {
  // Events can arrive before the response that names the job: keep them all, keyed by job.
  const epochsByJob = new Map<string, EpochSummary[]>();
  const ended = new Map<string, EventOf<'train.status'>>();
  const nonFinite = new Map<string, NonFiniteReport>();
  const findingsByJob = new Map<string, Map<string, Finding>>();
  let crashed: string | null = null;
  let wake: () => void = () => undefined;
  const seed = spec.training.seed;
  const who = label ? `${label} seed ${seed}` : `seed ${seed}`;
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
        process.stderr.write(`  ${who} epoch ${summary.epoch + 1}/${spec.training.epochs} loss ${summary.loss?.toFixed(4) ?? 'NaN'}${acc}${val}\n`);
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
      process.stderr.write(`  ${who}: ${report.kind} in the ${report.tensor}${report.layer ? ` of ${report.layer}` : ''} at step ${report.step} (epoch ${report.epoch + 1})\n`);
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
    let job: unknown;
    try {
      job = await host.request('train.start', { spec, runsDir });
    } catch (error) {
      // Refused (the engine restarting after a crash, say): this seed failed, the others go on.
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`  ${who} failed to start: ${message}\n`);
      return { seed, runDir: null, status: 'failed', error: message, epochs: [], final: null, nonFinite: null, findings: [] };
    }
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
    if (status.error) process.stderr.write(`  ${who} failed: ${status.error}\n`);
    return result;
  } finally {
    off();
  }
}
