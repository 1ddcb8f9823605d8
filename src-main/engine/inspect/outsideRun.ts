/**
 * A model from elsewhere turned into the run folder the Inspector already reads: run.json with
 * the mapped spec and the dataset, and one snapshot (step 0) of its weights, in a temporary
 * folder of the engine's. Every inspect view then works on it unchanged.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ContractError, Spec, inferShapes, type DatasetOrigin, type DatasetRef, type LayerInput, type Loss, type Normalization, type SpecInput } from '@contract';
import { encodeSafetensors } from '../runs/safetensors';
import type { RunRecord } from '../runs/runWriter';
import type { TrainingData } from '../training/trainingData';
import type { OutsideModel } from './outsideModel';

/** A run id for an outside model: never a folder name a run writer makes (those start with a date). */
export const newOutsideId = (): string => `outside-${randomBytes(4).toString('hex')}`;
export const isOutsideId = (runId: string): boolean => runId.startsWith('outside-');

/** A loss that fits the data, so the spec is whole: inspection never trains, so it only has to be valid. */
function lossFor(data: TrainingData, layers: LayerInput[]): Loss {
  if (data.task === 'regression') return { type: 'mse' };
  const last = [...layers].reverse().find((l) => l.type !== 'dropout' && l.type !== 'flatten');
  const softmax = last !== undefined && 'activation' in last && last.activation === 'softmax';
  return { type: 'sparseCategoricalCrossentropy', fromLogits: !softmax };
}

/**
 * The spec of an outside model over `data`: its layers, the dataset and normalisation asked
 * for. Refused, naming the layer, when its shapes do not fit the data.
 */
export function outsideSpec(model: OutsideModel, dataset: DatasetRef, normalization: Normalization, data: TrainingData): Spec {
  const input: SpecInput = {
    version: 1,
    name: model.name.slice(0, 120),
    description: `opened for inspection from ${model.file}`.slice(0, 2000),
    dataset,
    normalization,
    model: { layers: model.layers },
    training: { ...(model.spec?.training ?? {}), loss: model.spec?.training.loss ?? lossFor(data, model.layers) },
  };
  const parsed = Spec.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ContractError({ code: 'invalid-payload', message: `${model.file}: ${first?.path.join('.') ?? ''}: ${first?.message ?? 'not a valid spec'}` });
  }
  const report = inferShapes(parsed.data, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
  // Only the layers have to fit: a loss is never used, since inspection does not train.
  const issues = report.issues.filter((i) => i.path.startsWith('model.'));
  if (issues.length > 0) {
    const named = issues.map((i) => {
      const index = Number(/^model\.layers\.(\d+)/.exec(i.path)?.[1]);
      const layer = Number.isFinite(index) ? parsed.data.model.layers[index] : undefined;
      return `${layer ? `${layer.type} '${layer.name ?? `#${index}`}'` : i.path}: ${i.message}`;
    });
    throw new ContractError({
      code: 'invalid-payload',
      message: `${model.file}: the model does not fit ${data.name} (inputs [${data.inputShape.join(', ')}]): ${named.join('; ')}`,
      issues: issues.map((i) => ({ path: i.path, message: i.message })),
    });
  }
  return parsed.data;
}

/** Writes the run folder `<root>/<id>`: run.json and snapshots/step-00000000.safetensors. */
export function writeOutsideRun(root: string, id: string, spec: Spec, model: OutsideModel, origin: DatasetOrigin | null): string {
  const dir = join(root, id);
  mkdirSync(join(dir, 'snapshots'), { recursive: true });
  const now = new Date().toISOString();
  const record: RunRecord = {
    id,
    name: spec.name ?? id,
    spec,
    seed: spec.training.seed,
    backend: 'none',
    versions: {},
    status: 'done',
    startedAt: now,
    endedAt: now,
    job: null,
    final: null,
    error: null,
    datasetOrigin: origin,
  };
  const tensors = [...model.weights].map(([name, { shape, data }]) => ({ name, shape, data }));
  writeFileSync(join(dir, 'snapshots', 'step-00000000.safetensors'), encodeSafetensors(tensors, { step: '0', epoch: '0', source: model.file }));
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...record, outside: { file: model.file } }, null, 2));
  return dir;
}
