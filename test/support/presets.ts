import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Spec, type SpecInput } from '@contract';
import { ROOT } from './engine';

/** A shipped preset, parsed, with optional changes to its training settings. */
export function preset(name: string, training: Partial<SpecInput['training']> = {}): Spec {
  const raw = JSON.parse(readFileSync(join(ROOT, 'resources', 'presets', `${name}.json`), 'utf8')) as SpecInput;
  return Spec.parse({ ...raw, training: { ...raw.training, ...training } });
}
