/**
 * A saved run's folder, read for inspection: run.json (with its spec validated again, since
 * the file may have been edited by hand), the snapshot files in step order, and one snapshot's
 * tensors. Every error names the file at fault.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ContractError, DatasetOrigin, Spec } from '@contract';
import type { RunRecord } from '../runs/runWriter';
import { readSnapshotMetadata, readSnapshotWeights, type SnapshotWeights } from './snapshotReader';

export interface RunFolder {
  dir: string;
  runId: string;
  record: RunRecord;
  spec: Spec;
  /** Where the data came from, when the run recorded it (runs written before it did not). */
  origin: DatasetOrigin | null;
  /** Snapshot steps ascending, with their file names. */
  snapshots: { step: number; file: string }[];
}

const SNAPSHOT_FILE = /^step-(\d{8,})\.safetensors$/;

/**
 * The folder of `runId` in `runsDir`: the folder of that name, else the one whose run.json
 * has that id. RunId's schema already refuses separators and `..`.
 */
export function findRunDir(runsDir: string, runId: string): string {
  const direct = join(runsDir, runId);
  if (existsSync(join(direct, 'run.json'))) return direct;
  if (existsSync(runsDir)) {
    for (const entry of readdirSync(runsDir)) {
      const path = join(runsDir, entry, 'run.json');
      try {
        if ((JSON.parse(readFileSync(path, 'utf8')) as { id?: unknown }).id === runId) return join(runsDir, entry);
      } catch {
        // not a run
      }
    }
  }
  throw new ContractError({ code: 'not-found', message: `no run "${runId}" in ${runsDir}`, issues: [{ path: 'runId', message: 'not found' }] });
}

export function readRunFolder(runsDir: string, runId: string): RunFolder {
  const dir = findRunDir(runsDir, runId);
  const path = join(dir, 'run.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new ContractError({ code: 'failed', message: `${path}: cannot be read as JSON (${(error as Error).message})` });
  }
  const record = raw as RunRecord;
  const spec = Spec.safeParse(record?.spec);
  if (!spec.success) {
    const first = spec.error.issues[0];
    throw new ContractError({ code: 'failed', message: `${path}: spec.${first?.path.join('.') ?? ''}: ${first?.message ?? 'not a valid spec'}` });
  }
  let origin: DatasetOrigin | null = null;
  if (record.datasetOrigin !== undefined && record.datasetOrigin !== null) {
    const parsed = DatasetOrigin.safeParse(record.datasetOrigin);
    if (!parsed.success) throw new ContractError({ code: 'failed', message: `${path}: datasetOrigin is not a dataset source (${parsed.error.issues[0]?.message ?? 'invalid'})` });
    origin = parsed.data;
  }
  const snapshotDir = join(dir, 'snapshots');
  const snapshots: RunFolder['snapshots'] = [];
  if (existsSync(snapshotDir) && statSync(snapshotDir).isDirectory()) {
    for (const file of readdirSync(snapshotDir)) {
      // Temporary names (a write in flight, or torn by a crash) do not match and are skipped.
      const match = SNAPSHOT_FILE.exec(file);
      if (match) snapshots.push({ step: Number(match[1]), file });
    }
  }
  snapshots.sort((a, b) => a.step - b.step);
  return { dir, runId, record, spec: spec.data, origin, snapshots };
}

function snapshotPath(run: RunFolder, step: number): string {
  const entry = run.snapshots.find((s) => s.step === step);
  if (!entry) {
    const steps = run.snapshots.map((s) => s.step).join(', ') || 'none';
    throw new ContractError({ code: 'not-found', message: `run ${run.runId} has no snapshot at step ${step} (snapshots: ${steps})`, issues: [{ path: 'step', message: 'no such snapshot' }] });
  }
  return join(run.dir, 'snapshots', entry.file);
}

/** One snapshot's weights, by `layer/role` (its probe activations are not read); refused with the file when it is damaged. */
export function readSnapshot(run: RunFolder, step: number): SnapshotWeights & { epoch: number } {
  const path = snapshotPath(run, step);
  let decoded: SnapshotWeights;
  try {
    decoded = readSnapshotWeights(path);
  } catch (error) {
    throw new ContractError({ code: 'failed', message: (error as Error).message });
  }
  const epoch = Number(decoded.metadata['epoch'] ?? 0);
  return { ...decoded, epoch: Number.isFinite(epoch) ? epoch : 0 };
}

/** The epoch a snapshot was taken in, from its header alone (0 when it does not say). */
export function snapshotEpoch(run: RunFolder, step: number): number {
  try {
    const epoch = Number(readSnapshotMetadata(snapshotPath(run, step))['epoch'] ?? 0);
    return Number.isFinite(epoch) ? epoch : 0;
  } catch {
    return 0;
  }
}
