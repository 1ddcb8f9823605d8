// Builds with electron-vite when out/ is missing or older than any source file, so that
// `npm start` and `trainbench` work straight after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUTPUTS = ['out/main/index.js', 'out/main/engine.js', 'out/main/cli.js', 'out/preload/index.js', 'out/renderer/index.html'];
const SOURCES = ['src-main', 'src-renderer', 'electron.vite.config.ts', 'package.json'];

function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export function buildIfNeeded({ quiet = false } = {}) {
  const outputs = OUTPUTS.map((p) => join(ROOT, p));
  const built = outputs.every((p) => existsSync(p));
  if (built) {
    const oldestOut = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
    const newestSrc = Math.max(...SOURCES.map((p) => join(ROOT, p)).filter(existsSync).map(newestMtime));
    if (newestSrc <= oldestOut) return;
  }
  if (!quiet) process.stderr.write(built ? 'Sources changed: rebuilding…\n' : 'First run: building the app…\n');
  const cli = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const result = spawnSync(process.execPath, [cli, 'build'], { cwd: ROOT, stdio: quiet ? 'ignore' : ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write('The build failed: run `npm run build` to see why.\n');
    process.exit(1);
  }
}

// Run directly (`node src-main/bin/build-if-needed.mjs`): the test suites' global set-up.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) buildIfNeeded();
