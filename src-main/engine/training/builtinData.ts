/** The built-in dataset a spec names, as the trainer takes it (benchmarks and tests use this directly). */
import type { Spec } from '@contract';
import { asTrainingData, loadBuiltin } from '../datasets';
import type { TrainingData } from './trainingData';

export function builtinData(spec: Spec): TrainingData {
  const ref = spec.dataset;
  if (ref.kind !== 'builtin') throw new Error(`not a built-in dataset: ${ref.kind}`);
  const dataset = loadBuiltin(ref.name, {
    ...(ref.size !== undefined ? { size: ref.size } : {}),
    ...(ref.seed !== undefined ? { seed: ref.seed } : {}),
    ...(ref.noise !== undefined ? { noise: ref.noise } : {}),
  });
  return asTrainingData({ ...dataset, normalization: spec.normalization });
}
