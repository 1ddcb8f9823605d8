/**
 * `trainbench export … --to pytorch` and the Runs screen's "PyTorch script": a spec (its data
 * read as training reads it) or a saved run (its spec, seed and data, and a snapshot's weights)
 * written as a folder: train.py, data.npz, and weights.npz for a run. Plain Node, no tfjs.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ContractError, type DatasetOrigin, type RunExport, type Spec } from '@contract';
import { resolveRunDir } from '../runs/runActions';
import { tarFiles } from '../runs/tarWriter';
import { asTrainingData, loadDataset, type DatasetSource } from '../datasets';
import type { TrainingData } from '../training/trainingData';
import { readRunFolder, readSnapshot, type RunFolder } from '../inspect/runFolder';
import { loadRunDataset } from '../inspect/runDataset';
import { TRAINBENCH_VERSION } from '../version';
import { ExportRefused, checkExportable } from './pytorchScript';
import { pytorchExportFiles, writeExportFiles, type ExportWeights } from './pytorchExport';

/** Which of a run's weights: its last snapshot (the end of training), or the snapshot at a step. */
export type WeightsChoice = 'final' | { step: number };

export interface ExportResult {
  dir: string;
  files: { name: string; path: string; bytes: number }[];
  spec: string;
  /** The run exported, when it was one. */
  run: string | null;
  seed: number;
  data: string;
  /** The weights written to weights.npz, in words; null when none were. */
  weights: string | null;
}

/** "step-1500" or "final" as a choice; null when it is neither. */
export function parseWeightsChoice(text: string): WeightsChoice | null {
  if (text === 'final') return 'final';
  const m = /^step-(\d+)$/.exec(text);
  return m ? { step: Number(m[1]) } : null;
}

async function write(dir: string, spec: Spec, data: TrainingData, source: string, dataLabel: string, run: string | null, weights?: ExportWeights): Promise<ExportResult> {
  const files = pytorchExportFiles(spec, data, { source, data: dataLabel, trainbenchVersion: TRAINBENCH_VERSION }, weights);
  const paths = writeExportFiles(dir, files);
  return {
    dir: resolve(dir),
    files: files.map((f, i) => ({ name: f.name, path: paths[i]!, bytes: f.bytes.length })),
    spec: spec.name ?? source,
    run,
    seed: spec.training.seed,
    data: dataLabel,
    weights: weights?.label ?? null,
  };
}

/** Exports a spec: its dataset is read here, as the engine reads it for training. */
export async function exportSpec(spec: Spec, source: string, dir: string): Promise<ExportResult> {
  checkExportable(spec);
  const ref = spec.dataset;
  if (ref.kind === 'loaded') {
    throw new ExportRefused('dataset', `"${ref.id}" was loaded in the app, and a spec names no file to read it from: export the run that trained on it, or name the file in the spec`);
  }
  const dataset = await loadDataset(ref as DatasetSource, { normalization: spec.normalization });
  const label = ref.kind === 'builtin' ? dataset.name : `${ref.path} (${dataset.name})`;
  return write(dir, spec, asTrainingData({ ...dataset, normalization: spec.normalization }), source, `${label}, normalization ${spec.normalization}`, null);
}

function runWeights(run: RunFolder, choice: WeightsChoice): ExportWeights {
  if (run.snapshots.length === 0) throw new ExportRefused('--weights', `run ${run.runId} has no snapshots (it ended before its first)`);
  const step = choice === 'final' ? run.snapshots[run.snapshots.length - 1]!.step : choice.step;
  const snapshot = readSnapshot(run, step);
  const last = run.snapshots[run.snapshots.length - 1]!.step;
  const label = step === last && (run.record.status === 'done' || run.record.status === 'stopped') ? `the final weights (step ${step})` : `the snapshot at step ${step}`;
  return { tensors: snapshot.tensors, label };
}

/** Exports the run in folder `runDir`: its spec and seed, its data found again, and a snapshot's weights. */
export async function exportRunFolder(runDir: string, dir: string, choice: WeightsChoice = 'final'): Promise<ExportResult> {
  const full = resolve(runDir);
  const run = readRunFolder(dirname(full), basename(full));
  checkExportable(run.spec);
  const weights = runWeights(run, choice);
  const { data, origin } = await loadRunDataset(run);
  return write(dir, run.spec, data, `run ${run.runId}`, `${origin}, normalization ${run.spec.normalization}`, run.dir, weights);
}

/** A file-name stem from a spec's name: `MNIST cnn (2)` → `mnist-cnn-2`. */
export function exportSlug(name: string | undefined): string {
  return (name ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'untitled';
}

/** Where a spec's data came from, in words, for train.py's header: the built-in, the file, or the dropped folder's name. */
export function specDataLabel(spec: Spec, name: string, origin: DatasetOrigin | null): string {
  const ref = spec.dataset;
  const from = ref.kind === 'loaded' ? origin : ref;
  if (!from) return `${name} (loaded in the app)`;
  if (from.kind === 'upload') return `${from.name} (dropped in the app)`;
  if (from.kind === 'builtin') return name;
  return `${from.path} (${name})`;
}

/**
 * The Model screen's "PyTorch script": the spec as it is being edited, with the data the engine
 * would train it on (a dataset loaded in the app included), as one tar to save. Nothing is
 * written to disk. Refusals answer as contract errors that name the layer or option.
 */
export function exportSpecAsPytorch(spec: Spec, data: TrainingData, dataLabel: string): RunExport {
  const slug = exportSlug(spec.name);
  let files: { name: string; bytes: Uint8Array }[];
  try {
    checkExportable(spec);
    files = pytorchExportFiles(spec, data, { source: `the Model screen's spec "${spec.name ?? 'untitled'}"`, data: `${dataLabel}, normalization ${spec.normalization}`, trainbenchVersion: TRAINBENCH_VERSION });
  } catch (error) {
    if (error instanceof ExportRefused) throw new ContractError({ code: 'invalid-payload', message: `this model cannot be exported as a PyTorch script: ${error.message}` });
    throw error;
  }
  return { fileName: `${slug}-pytorch.tar`, mediaType: 'application/x-tar', bytes: tarFiles(files.map((f) => ({ name: `${slug}-pytorch/${f.name}`, data: f.bytes }))), path: null };
}

/**
 * The Runs screen's "PyTorch script": run `runId` exported into its own folder's pytorch/, and
 * the same files as one tar to save. Refusals and missing data answer as contract errors.
 */
export async function exportRunAsPytorch(runsDir: string, runId: string): Promise<RunExport> {
  const dir = resolveRunDir(runsDir, runId);
  let result: ExportResult;
  try {
    result = await exportRunFolder(dir, join(dir, 'pytorch'));
  } catch (error) {
    if (error instanceof ExportRefused) throw new ContractError({ code: 'invalid-payload', message: `run ${runId} cannot be exported as a PyTorch script: ${error.message}` });
    throw error;
  }
  const files = result.files.map((f) => ({ name: `${runId}-pytorch/${f.name}`, data: readFileSync(f.path) }));
  return { fileName: `${runId}-pytorch.tar`, mediaType: 'application/x-tar', bytes: tarFiles(files), path: result.dir };
}
