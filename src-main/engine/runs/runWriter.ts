/**
 * Writes a run as it trains, readable without the app: run.json (rewritten atomically on
 * every status change), metrics.jsonl, findings.jsonl and histograms.jsonl (appended, in order), snapshots as
 * safetensors (written to a temporary name, then renamed: whole or absent).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DatasetOrigin, HistogramSet, JobInfo, JobStatus, RunFinal, Snapshot, Spec } from '@contract';
import type { DataPreparation } from '../datasets/types';
import { encodeSafetensors } from './safetensors';
import { exportFinalModel, type ModelOutcome } from './modelExport';

export interface RunRecord {
  id: string;
  name: string;
  spec: Spec;
  seed: number;
  backend: string;
  versions: Record<string, string>;
  status: JobStatus | 'interrupted';
  startedAt: string;
  endedAt: string | null;
  job: JobInfo | null;
  final: RunFinal | null;
  error: string | null;
  /** The final model in tfjs layers format, or why there is none; absent while running. */
  model?: ModelOutcome;
  /** Set from the Runs screen. */
  tags?: string[];
  /** Where the data came from (a `loaded` dataset's source): what inspection reloads. Absent in older runs. */
  datasetOrigin?: DatasetOrigin | null;
  /** How the inputs were prepared: the normalisation, standardisation's means and stds, a CSV's missing values and one-hot columns. */
  dataPreparation?: DataPreparation;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    // A part-written temporary file on a full disk would hold space that the rest needs.
    rmSync(temporary, { force: true });
    throw error;
  }
}

export class RunWriter {
  readonly dir: string;
  private readonly record: RunRecord;
  private failed: string | null = null;

  constructor(runsDir: string, spec: Spec, backend: string, versions: Record<string, string>) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const base = `${stamp}-${(spec.name ?? 'run').replace(/[^A-Za-z0-9_-]/g, '_')}-s${spec.training.seed}`;
    let dir = join(runsDir, base);
    for (let n = 2; ; n++) {
      try {
        mkdirSync(runsDir, { recursive: true });
        mkdirSync(dir);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the run folder ${dir}: ${(error as Error).message}`);
        dir = join(runsDir, `${base}-${n}`);
      }
    }
    mkdirSync(join(dir, 'snapshots'));
    this.dir = dir;
    this.record = {
      id: basename(dir),
      name: spec.name ?? 'run',
      spec,
      seed: spec.training.seed,
      backend,
      versions,
      status: 'running',
      startedAt: new Date().toISOString(),
      endedAt: null,
      job: null,
      final: null,
      error: null,
    };
    this.writeRecord();
    writeFileSync(join(dir, 'metrics.jsonl'), '');
    writeFileSync(join(dir, 'findings.jsonl'), '');
    writeFileSync(join(dir, 'histograms.jsonl'), '');
  }

  /** The first write error, if any: a full or read-only disk stops training, never silently. */
  get error(): string | null {
    return this.failed;
  }

  private guard(what: string, action: () => void): void {
    if (this.failed) return;
    try {
      action();
    } catch (error) {
      this.failed = `${what} in ${this.dir}: ${(error as Error).message}`;
    }
  }

  private writeRecord(): void {
    writeAtomic(join(this.dir, 'run.json'), `${JSON.stringify(this.record, null, 2)}\n`);
  }

  setJob(job: JobInfo): void {
    this.record.job = job;
    this.guard('writing run.json', () => this.writeRecord());
  }

  /** Records where the run's data came from, for inspecting the run later. */
  setDatasetOrigin(origin: DatasetOrigin | null): void {
    this.record.datasetOrigin = origin;
    this.guard('writing run.json', () => this.writeRecord());
  }

  /** Records how the run's inputs were prepared. */
  setDataPreparation(preparation: DataPreparation): void {
    this.record.dataPreparation = preparation;
    this.guard('writing run.json', () => this.writeRecord());
  }

  /** Appends records as JSON lines, in one write so that a crash tears at most the last line. */
  appendMetrics(records: unknown[]): void {
    if (records.length === 0) return;
    this.guard('appending to metrics.jsonl', () => appendFileSync(join(this.dir, 'metrics.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join('')));
  }

  appendFinding(finding: unknown): void {
    this.guard('appending to findings.jsonl', () => appendFileSync(join(this.dir, 'findings.jsonl'), `${JSON.stringify(finding)}\n`));
  }

  /** One line per set of per-layer histograms (a few kB): how the distributions moved, without the snapshots. */
  appendHistograms(set: HistogramSet): void {
    this.guard('appending to histograms.jsonl', () => appendFileSync(join(this.dir, 'histograms.jsonl'), `${JSON.stringify(set)}\n`));
  }

  writeSnapshot(snapshot: Snapshot): void {
    const name = `step-${String(snapshot.step).padStart(8, '0')}.safetensors`;
    const tensors = snapshot.tensors.map((t) => ({ name: `${t.layer}/${t.role}`, shape: t.shape, data: t.data }));
    const bytes = encodeSafetensors(tensors, { step: String(snapshot.step), epoch: String(snapshot.epoch) });
    this.guard(`writing snapshots/${name}`, () => writeAtomic(join(this.dir, 'snapshots', name), bytes));
  }

  /** Writes the final model from the run's last snapshot, and records in run.json how that went. */
  async writeModel(spec: Spec, inputShape: number[], snapshot: Snapshot): Promise<void> {
    if (this.failed) return;
    this.record.model = await exportFinalModel(this.dir, spec, inputShape, snapshot);
  }

  finish(status: JobStatus, final: RunFinal | null, error: string | null): void {
    this.record.status = status;
    this.record.final = final;
    this.record.error = error ?? this.failed;
    this.record.endedAt = new Date().toISOString();
    try {
      this.writeRecord();
    } catch {
      // The disk is gone; what was written before stays as it was.
    }
  }
}
