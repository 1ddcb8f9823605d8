#!/usr/bin/env node
// Runs a TypeScript benchmark from bench/: `npm run bench -- NAME [args]` (NAME.ts in bench/).
// The benchmark is bundled with esbuild (aliases as in the app, dependencies external), then
// run with node. Benchmarks print tables; they are not tests.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(here).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [args]\nbenchmarks: ${available.join(', ')}`);
  process.exit(2);
}
// Bundled beside the sources (bench/results/ is ignored by git) so that node_modules resolves.
const out = join(here, 'results', '.build');
const outfile = join(out, `${name}.cjs`);
await build({
  entryPoints: [join(here, `${name}.ts`)],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  packages: 'external',
  plugins: [
    {
      name: 'contract-alias',
      setup(b) {
        b.onResolve({ filter: /^@contract(\/.*)?$/ }, (a) => ({ path: join(root, 'src-main/contract', a.path === '@contract' ? 'index.ts' : `${a.path.slice('@contract/'.length)}.ts`) }));
      },
    },
  ],
  logLevel: 'warning',
});
const result = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
