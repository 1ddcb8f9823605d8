#!/usr/bin/env node
// `npm start`: the desktop app, or `trainbench serve` when the Electron binary is missing
// (its download needs internet, which install machines may not have).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildIfNeeded, ROOT } from './build-if-needed.mjs';

/** Returns the Electron executable, or why there is none. Never triggers electron's lazy download. */
export function findElectron() {
  const dir = join(ROOT, 'node_modules', 'electron');
  if (!existsSync(join(dir, 'package.json'))) return { reason: 'the electron package is not installed' };
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const exe = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    return existsSync(exe) ? { path: exe } : { reason: `ELECTRON_OVERRIDE_DIST_PATH has no electron binary (${exe})` };
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) {
    return { reason: 'the Electron binary was never downloaded (node_modules/electron/path.txt is missing; `npx install-electron` fetches it when online)' };
  }
  const exe = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? { path: exe } : { reason: `the Electron binary is missing (${exe})` };
}

const args = process.argv.slice(2);
buildIfNeeded();
const electron = findElectron();
if (electron.path && !args.includes('--serve')) {
  const child = spawn(electron.path, [ROOT, ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!electron.path) {
    process.stderr.write(`Trainbench: cannot open the desktop app: ${electron.reason}.\nStarting \`trainbench serve\` instead: open the URL below in a browser.\n`);
  }
  process.argv = [process.argv[0], 'trainbench', 'serve', ...args.filter((a) => a !== '--serve')];
  createRequire(import.meta.url)(join(ROOT, 'out', 'main', 'cli.js'));
}
