/**
 * The long soak (issue 9): a small spec trained for minutes on the built engine (out/main,
 * `npx electron-vite build` first), sampled through engine.memory every few seconds.
 *
 *   npm run bench -- soak [--minutes M] [--every S] [--spec relu-abs|xor] [--backend wasm|cpu]
 *
 * Prints one row per sample (steps, epochs, tensors, RSS, heap, request round trip, p95 of the
 * gaps between progress events), then the verdict: tensor growth, RSS growth after warm-up,
 * latency early and late. Bounds (the soak test's): tensors ±2, RSS growth < 48 MB.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendName, Spec, type SpecInput } from '@contract';
import { EngineHost } from '../src-main/host/engineHost';
import { nodeSpawner } from '../src-main/host/nodeSpawner';
import { soak, soakVerdict, type SoakSample } from '../test/support/soak';

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

const minutes = Number(arg('--minutes', '5'));
const everySeconds = Number(arg('--every', '10'));
const specName = arg('--spec', 'relu-abs');
const backend = BackendName.parse(arg('--backend', 'wasm'));
const root = process.cwd();
const raw = JSON.parse(readFileSync(join(root, 'resources', 'presets', `${specName}.json`), 'utf8')) as SpecInput;
const spec = Spec.parse({ ...raw, training: { ...raw.training, epochs: 100_000 }, monitor: { probeEvery: 20, probeSize: 64, snapshotEvery: 200, onNonFinite: 'continue' } });

const columns: [keyof SoakSample, string, number][] = [
  ['seconds', 's', 7],
  ['steps', 'steps', 9],
  ['epochs', 'epochs', 8],
  ['numTensors', 'tensors', 8],
  ['rssMB', 'RSS MB', 8],
  ['heapMB', 'heap MB', 8],
  ['requestMs', 'req ms', 8],
  ['updateGapP95Ms', 'gap p95 ms', 11],
];

async function main(): Promise<void> {
  const host = new EngineHost(nodeSpawner(join(root, 'out', 'main', 'engine.js')), { backend });
  const info = await host.start();
  console.log(`soak: ${specName} on ${info.backend} for ${minutes} min, a sample every ${everySeconds} s (engine pid ${info.pid})`);
  console.log(columns.map(([, title, w]) => title.padStart(w)).join(' '));
  const samples = await soak(host, spec, minutes * 60, everySeconds * 1000, (s) => console.log(columns.map(([key, , w]) => String(s[key]).padStart(w)).join(' ')));
  const verdict = soakVerdict(samples);
  console.log(`\ntensor growth ${verdict.tensorGrowth} (bound ±2); RSS growth after warm-up ${verdict.rssGrowthMB} MB (bound 48 MB)`);
  console.log(`request round trip median ${verdict.requestMs[0]} → ${verdict.requestMs[1]} ms; update gap p95 median ${verdict.updateGapMs[0]} → ${verdict.updateGapMs[1]} ms`);
  host.dispose();
  const ok = Math.abs(verdict.tensorGrowth) <= 2 && verdict.rssGrowthMB < 48;
  process.exit(ok ? 0 : 1);
}

void main();
