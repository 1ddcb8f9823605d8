/** Loads the data a spec names: built-in sets here; files through the dataset readers. */
import { ContractError, type Spec } from '@contract';
import { builtinData } from './builtinData';
import type { TrainingData } from './trainingData';

export async function resolveData(spec: Spec): Promise<TrainingData> {
  const ref = spec.dataset;
  if (ref.kind === 'builtin') return builtinData(spec);
  throw new ContractError({ code: 'invalid-payload', message: `spec.dataset.kind: "${ref.kind}" datasets cannot be loaded by this engine yet`, issues: [{ path: 'spec.dataset.kind', message: `"${ref.kind}" is not loadable yet` }] });
}
