/** The presets shipped in resources/presets: one JSON spec each, usable as `trainbench train NAME`. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseSpec, type Spec } from '@contract';

/** resources/presets, from the source tree (tests) or beside out/ after a build. */
export function presetsDir(): string {
  const candidates = [join(__dirname, '..', '..', 'resources', 'presets'), join(__dirname, '..', '..', '..', 'resources', 'presets'), join(process.cwd(), 'resources', 'presets')];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

export function presetNames(): string[] {
  try {
    return readdirSync(presetsDir())
      .filter((f) => f.endsWith('.json'))
      .map((f) => basename(f, '.json'))
      .sort();
  } catch {
    return [];
  }
}

/** Every preset, parsed; a preset that does not parse is a bug in the app, reported as such. */
export function loadPresets(): { name: string; spec: Spec }[] {
  return presetNames().map((name) => {
    const raw = JSON.parse(readFileSync(join(presetsDir(), `${name}.json`), 'utf8')) as unknown;
    const parsed = parseSpec(raw);
    if (!parsed.spec) throw new Error(`preset ${name}.json is not a valid spec: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    return { name, spec: parsed.spec };
  });
}
