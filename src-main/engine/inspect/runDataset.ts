/**
 * The data a saved run trained on, found again: a built-in regenerated with the run's seed,
 * the bundled MNIST, or the file or folder the run recorded. A dataset that cannot be found is
 * refused with the path, and what to do.
 */
import { existsSync } from 'node:fs';
import { ContractError, type DatasetOrigin, type DatasetSource as WireSource, type Normalization } from '@contract';
import { asTrainingData, loadDataset, DatasetError, type Dataset, type DatasetSource } from '../datasets';
import type { TrainingData } from '../training/trainingData';
import type { RunFolder } from './runFolder';

export interface RunDataset {
  dataset: Dataset;
  data: TrainingData;
  /** Where it was read from, in words. */
  origin: string;
}

function describe(source: WireSource): string {
  if (source.kind === 'builtin') return `built-in ${source.name}${source.seed !== undefined ? `, seed ${source.seed}` : ''}${source.size !== undefined ? `, ${source.size} samples` : ''}`;
  return source.path;
}

/** The source to read a run's data from, or an error saying why there is none. */
export function runSource(run: RunFolder): WireSource {
  const ref = run.spec.dataset;
  if (ref.kind !== 'loaded') return ref;
  const origin: DatasetOrigin | null = run.origin;
  if (!origin) {
    throw new ContractError({
      code: 'not-found',
      message: `run ${run.runId}: its dataset was loaded in the app as "${ref.id}" and run.json does not record where from (a run written before Trainbench recorded it): it cannot be inspected`,
    });
  }
  if (origin.kind === 'upload') {
    throw new ContractError({
      code: 'not-found',
      message: `run ${run.runId}: its dataset "${origin.name}" was dropped in a browser and is not kept on disk: it cannot be inspected (drop datasets in the desktop app, or name them by path, to keep runs inspectable)`,
    });
  }
  return origin;
}

/** Reads a dataset by its source with a normalisation, as a run's data is read; refused with the path and what to do. */
export async function readDataset(source: WireSource, normalization: Normalization, who = 'the model'): Promise<RunDataset> {
  if (source.kind !== 'builtin' && !existsSync(source.path)) {
    throw new ContractError({ code: 'not-found', message: `${source.path}: no such dataset file or folder`, issues: [{ path: 'dataset.path', message: 'not found' }] });
  }
  let dataset: Dataset;
  try {
    dataset = await loadDataset(source as DatasetSource, { normalization });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ContractError({ code: error instanceof DatasetError ? 'invalid-payload' : 'failed', message: `${who}: its dataset could not be read: ${message}` });
  }
  return { dataset, data: asTrainingData({ ...dataset, normalization }), origin: describe(source) };
}

/** A dataset already loaded in the engine (dropped on the Data screen), with a normalisation. */
export function loadedDataset(dataset: Dataset, normalization: Normalization, origin: WireSource | null): RunDataset {
  return { dataset, data: asTrainingData({ ...dataset, normalization }), origin: origin ? describe(origin) : `loaded as ${dataset.name}` };
}

/** Reads the run's data with the run's normalisation. */
export async function loadRunDataset(run: RunFolder): Promise<RunDataset> {
  const source = runSource(run);
  if (source.kind !== 'builtin' && !existsSync(source.path)) {
    throw new ContractError({
      code: 'not-found',
      message: `${source.path}: the dataset run ${run.runId} trained on is not there any more: put it back at that path to inspect the run`,
      issues: [{ path: 'dataset.path', message: 'not found' }],
    });
  }
  let dataset: Dataset;
  try {
    dataset = await loadDataset(source as DatasetSource, { normalization: run.spec.normalization });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ContractError({ code: error instanceof DatasetError ? 'invalid-payload' : 'failed', message: `run ${run.runId}: its dataset could not be read again: ${message}` });
  }
  return { dataset, data: asTrainingData({ ...dataset, normalization: run.spec.normalization }), origin: describe(source) };
}
