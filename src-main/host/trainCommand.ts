/**
 * `trainbench train SPEC`: headless training on the same engine the app uses. Progress goes
 * to stderr; with --json, stdout holds one JSON document describing every run.
 */
import { XorJobRequest, type BackendName, type EventOf, type JobStatus } from '@contract';
import type { EngineHost } from './engineHost';
import { parseArgs, intFlag, UsageError, type ParsedArgs } from './args';

interface RunResult {
  seed: number;
  status: JobStatus;
  error?: string;
  epochs: { epoch: number; loss: number | null }[];
  final: { loss: number | null };
  findings: unknown[];
}

/** Applies `--set key=value` overrides to a plain request object; values are parsed as JSON when they can be. */
function applySets(base: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  const result = { ...base };
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set needs key=value, got "${set}"`);
    const key = set.slice(0, eq);
    const text = set.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // a bare string
    }
    result[key] = value;
  }
  return result;
}

export async function runTrainCommand(
  argv: string[],
  createHost: (backend: BackendName | undefined) => EngineHost,
  backendFlag: (args: ParsedArgs) => BackendName | undefined,
): Promise<number> {
  const args = parseArgs(argv, {
    repeat: { value: true },
    seed: { value: true },
    set: { value: true, repeat: true },
    backend: { value: true },
    json: { value: false },
  });
  const [spec, ...extra] = args.positional;
  if (!spec) throw new UsageError('train needs a SPEC');
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (spec !== 'xor') throw new UsageError(`unknown spec "${spec}": this build knows the preset "xor"`);
  const repeat = intFlag(args, 'repeat', 1, 1, 1000);
  const seed = intFlag(args, 'seed', 1, 0, 2 ** 31 - 1 - repeat);
  const overrides = applySets({}, args.flags.get('set') ?? []);
  const json = args.flags.has('json');

  const host = createHost(backendFlag(args));
  try {
    const info = await host.start();
    process.stderr.write(`training ${spec} on ${info.backend}, ${repeat} seed(s) from ${seed}\n`);
    const runs: RunResult[] = [];
    for (let r = 0; r < repeat; r++) {
      const parsed = XorJobRequest.safeParse({ ...overrides, seed: seed + r });
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw new UsageError(`--set: ${problems}`);
      }
      runs.push(await trainOne(host, parsed.data));
    }
    const document = {
      backend: info.backend,
      spec: { preset: spec, ...overrides },
      runs,
      summary: { repeat },
    };
    if (json) process.stdout.write(`${JSON.stringify(document)}\n`);
    return runs.every((run) => run.status === 'done' || run.status === 'stopped') ? 0 : 1;
  } finally {
    host.dispose();
  }
}

async function trainOne(host: EngineHost, request: XorJobRequest): Promise<RunResult> {
  // Events can arrive before the response that names the job: keep them all, keyed by job.
  const epochsByJob = new Map<string, RunResult['epochs']>();
  const ended = new Map<string, EventOf<'train.status'>>();
  let jobId: string | null = null;
  let crashed: string | null = null;
  let wake: () => void = () => undefined;
  const off = host.onEvent((channel, payload) => {
    if (channel === 'train.progress') {
      const event = payload as EventOf<'train.progress'>;
      const list = epochsByJob.get(event.jobId) ?? [];
      for (const point of event.points) {
        list.push({ epoch: point.epoch, loss: point.loss });
        if (point.epoch % 50 === 0 || point.epoch === event.epochs - 1) {
          process.stderr.write(`  seed ${request.seed} epoch ${point.epoch + 1}/${event.epochs} loss ${point.loss ?? 'NaN'}\n`);
        }
      }
      epochsByJob.set(event.jobId, list);
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
    jobId = ((await host.request('train.xor', request)) as { jobId: string }).jobId;
    const id = jobId;
    const status = await new Promise<EventOf<'train.status'>>((resolve) => {
      wake = () => {
        const end = ended.get(id);
        if (end) resolve(end);
        else if (crashed !== null) resolve({ jobId: id, status: 'failed', error: crashed });
      };
      wake();
    });
    const epochs = epochsByJob.get(id) ?? [];
    const result: RunResult = {
      seed: request.seed,
      status: status.status,
      epochs,
      final: { loss: epochs.at(-1)?.loss ?? null },
      findings: [],
    };
    if (status.error) result.error = status.error;
    return result;
  } finally {
    off();
  }
}
