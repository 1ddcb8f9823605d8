#!/usr/bin/env node
/**
 * Dataset load benchmark: Fashion-MNIST's training set (train-images + train-labels .gz,
 * 60,000 images of 28×28, 47 MB inflated) loaded into a ready Dataset by the engine's
 * dataset layer, each repetition in a fresh child process.
 *
 *   node bench/dataset-load.mjs [--reps 5] [--folder /usr/share/datasets/fashion-mnist] [--json]
 *
 * It bundles src-main/engine/datasets/index.ts with esbuild (from node_modules) into a temp
 * file first; nothing needs building. The files come from the Debian package
 * dataset-fashion-mnist. Prints, per way of loading, the time (median, min) and the peak
 * memory above the idle process: RSS (the kernel's high-water mark, VmHWM, reset at idle)
 * and arrayBuffers (sampled every millisecond, and at the end). As a floor: zlib.gunzipSync
 * on the same files, and `gzip -dc`.
 * Goal: median ≤ 1.0 s, and peak ≤ 1.5 × the inflated size above idle.
 *
 * Then the same training set as other people have it (no goal, a table): written by numpy
 * (Debian's python3-numpy; the rows are left out, saying so, where it is missing) as an .npz
 * (np.savez, stored, and np.savez_compressed, deflated: x_train, y_train as
 * keras.datasets.fashion_mnist gives them) and as a 60,000-row CSV in Kaggle's layout (a
 * header, label then 784 pixel columns); and a 60,000-row table of 10 float features and a
 * class, as a CSV. `--no-formats` leaves them out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const IMAGES = 'train-images-idx3-ubyte.gz';
const LABELS = 'train-labels-idx1-ubyte.gz';
const GOAL_SECONDS = 1.0;
const GOAL_MEMORY_FACTOR = 1.5;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Resident set size now and its high-water mark, in bytes (Linux /proc). */
function vm() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: process.memoryUsage().rss, hwm: NaN };
  }
}

/** One measured load in this (fresh) process; prints one JSON line. */
async function child(mode, folder, bundle) {
  const files = [join(folder, IMAGES), join(folder, LABELS)];
  const require = createRequire(import.meta.url);
  const datasets = mode === 'gunzipSync' ? null : require(bundle);
  // Idle: modules loaded, nothing read. The kernel's peak RSS is reset here ("5" → clear_refs).
  await new Promise((r) => setTimeout(r, 50));
  const idle = { ...process.memoryUsage(), rss: vm().rss };
  let hwmReset = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    hwmReset = false;
  }
  let peakRss = idle.rss;
  let peakArrayBuffers = idle.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 1);
  const started = performance.now();
  let result;
  if (mode === 'load' || mode === 'numpy' || mode === 'csv') {
    const ds = mode === 'load' ? await datasets.loadIdxFiles(files) : mode === 'numpy' ? await datasets.loadNumpy(folder) : await datasets.loadCsv(folder);
    result = { count: ds.splits.train.count, bytes: ds.splits.train.x.byteLength + ds.splits.train.y.byteLength };
  } else {
    let bytes = 0;
    for (const f of files) bytes += gunzipSync(readFileSync(f)).length;
    result = { bytes };
  }
  const ms = performance.now() - started;
  sample();
  clearInterval(timer);
  const { hwm } = vm();
  if (hwmReset && Number.isFinite(hwm)) peakRss = Math.max(peakRss, hwm);
  process.stdout.write(`${JSON.stringify({ mode, ms, idleRss: idle.rss, peakRssAboveIdle: peakRss - idle.rss, peakArrayBuffersAboveIdle: peakArrayBuffers - idle.arrayBuffers, hwmReset, ...result })}\n`);
}

function runChild(mode, folder, bundle) {
  const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, folder, bundle ?? ''], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`child ${mode} failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

function timeGzipCommand(folder) {
  const started = performance.now();
  for (const f of [IMAGES, LABELS]) {
    const out = spawnSync('sh', ['-c', `gzip -dc "${join(folder, f)}" > /dev/null`]);
    if (out.status !== 0) return null;
  }
  return performance.now() - started;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mb = (b) => (b / 1e6).toFixed(1);
const sec = (ms) => (ms / 1000).toFixed(3);

async function main() {
  const reps = Number(arg('--reps', '5'));
  const folder = resolve(arg('--folder', '/usr/share/datasets/fashion-mnist'));
  if (![IMAGES, LABELS].every((f) => existsSync(join(folder, f)))) {
    console.error(`${folder} lacks ${IMAGES} and ${LABELS}: install the Debian package dataset-fashion-mnist or pass --folder`);
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), 'trainbench-bench-'));
  const bundle = join(work, 'datasets.cjs');
  try {
    const esbuild = createRequire(join(repo, 'package.json'))('esbuild');
    esbuild.buildSync({ entryPoints: [join(repo, 'src-main/engine/datasets/index.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle, logLevel: 'warning', alias: { '@contract/random': join(repo, 'src-main/contract/random.ts') } });

    const load = [];
    const gunzip = [];
    const command = [];
    for (let i = 0; i < reps; i++) {
      load.push(runChild('load', folder, bundle));
      gunzip.push(runChild('gunzipSync', folder));
      const t = timeGzipCommand(folder);
      if (t !== null) command.push(t);
    }
    // The files' inflated size (what gzip -dc writes), the measure the goal is stated in.
    const inflated = gunzip[0].bytes;
    const budget = GOAL_MEMORY_FACTOR * inflated;
    const row = (name, runs) => ({
      name,
      medianMs: median(runs.map((r) => r.ms)),
      minMs: Math.min(...runs.map((r) => r.ms)),
      peakRssMedian: median(runs.map((r) => r.peakRssAboveIdle)),
      peakRssMax: Math.max(...runs.map((r) => r.peakRssAboveIdle)),
      peakArrayBuffersMax: Math.max(...runs.map((r) => r.peakArrayBuffersAboveIdle)),
    });
    const rows = [row('loadIdxFiles → Dataset', load), row('zlib.gunzipSync (floor)', gunzip)];
    const gzipRow = command.length ? { name: 'gzip -dc > /dev/null (floor)', medianMs: median(command), minMs: Math.min(...command) } : null;
    const [mine] = rows;
    const timeOk = mine.medianMs / 1000 <= GOAL_SECONDS;
    const memoryOk = mine.peakRssMax <= budget && mine.peakArrayBuffersMax <= budget;
    const summary = { reps, folder, inflatedBytes: inflated, loadAverage: loadavg(), idleRss: median(load.map((r) => r.idleRss)), hwmReset: load.every((r) => r.hwmReset), rows, gzip: gzipRow, goal: { seconds: GOAL_SECONDS, peakBytes: budget, timeOk, memoryOk } };
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify(summary, null, 2));
    } else {
      console.log(`Fashion-MNIST training set: ${IMAGES} + ${LABELS} (${mb(statSync(join(folder, IMAGES)).size + statSync(join(folder, LABELS)).size)} MB gzipped, ${mb(inflated)} MB inflated)`);
      console.log(`${reps} runs each, a fresh process per run; idle process RSS ${mb(summary.idleRss)} MB; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      console.log('');
      const head = ['', 'time median', 'time min', 'peak RSS above idle (median / max)', 'arrayBuffers high-water above idle (max)'];
      const lines = [
        ...rows.map((r) => [r.name, `${sec(r.medianMs)} s`, `${sec(r.minMs)} s`, `${mb(r.peakRssMedian)} / ${mb(r.peakRssMax)} MB`, `${mb(r.peakArrayBuffersMax)} MB`]),
        ...(gzipRow ? [[gzipRow.name, `${sec(gzipRow.medianMs)} s`, `${sec(gzipRow.minMs)} s`, '(another process)', '']] : []),
      ];
      const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
      const fmt = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
      console.log(fmt(head));
      for (const l of lines) console.log(fmt(l));
      console.log('');
      console.log(`goal: median ≤ ${GOAL_SECONDS.toFixed(1)} s: ${timeOk ? 'met' : 'NOT met'} (${sec(mine.medianMs)} s); peak ≤ ${GOAL_MEMORY_FACTOR} × ${mb(inflated)} = ${mb(budget)} MB above idle: ${memoryOk ? 'met' : 'NOT met'} (RSS ${mb(mine.peakRssMax)} MB, arrayBuffers ${mb(mine.peakArrayBuffersMax)} MB)`);
      if (!summary.hwmReset) console.log('note: /proc/self/clear_refs was not writable: peak RSS is sampled, not the kernel high-water mark');
    }
    if (!process.argv.includes('--no-formats')) formats(work, folder, bundle, reps);
    process.exitCode = timeOk && memoryOk ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The interpreter that has numpy: Debian's first (the python3 on PATH may lack it). */
function numpyPython() {
  for (const python of ['/usr/bin/python3', 'python3']) if (spawnSync(python, ['-c', 'import numpy']).status === 0) return python;
  return null;
}

/** Fashion-MNIST's training set as .npz and CSV files written by numpy, and a float table as CSV: load times. */
function formats(work, folder, bundle, reps) {
  const python = numpyPython();
  if (!python) {
    console.log('\nnote: no Python with numpy (/usr/bin/python3 or python3): the .npz and CSV rows are left out (apt-get install -y python3-numpy)');
    return;
  }
  const script = `
import gzip, sys, numpy as np, os
src, out = sys.argv[1], sys.argv[2]
x = np.frombuffer(gzip.open(os.path.join(src, '${IMAGES}')).read(), np.uint8, offset=16).reshape(-1, 28, 28)
y = np.frombuffer(gzip.open(os.path.join(src, '${LABELS}')).read(), np.uint8, offset=8)
np.savez(os.path.join(out, 'fashion.npz'), x_train=x, y_train=y)
np.savez_compressed(os.path.join(out, 'fashion-deflated.npz'), x_train=x, y_train=y)
table = np.column_stack([y, x.reshape(len(x), -1)])
header = 'label,' + ','.join(f'pixel{i + 1}' for i in range(784))
np.savetxt(os.path.join(out, 'fashion-mnist_train.csv'), table, fmt='%d', delimiter=',', header=header, comments='')
rng = np.random.default_rng(1)
features = rng.normal(size=(60000, 10))
np.savetxt(os.path.join(out, 'table.csv'), np.column_stack([features, rng.integers(0, 3, 60000)]), fmt=['%.6g'] * 10 + ['%d'], delimiter=',', header=','.join([f'f{i}' for i in range(10)] + ['class']), comments='')
`;
  const made = spawnSync(python, ['-c', script, folder, work], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`numpy could not write the files: ${made.stderr}`);
  const files = [
    ['fashion.npz', 'numpy', '.npz, np.savez (stored)'],
    ['fashion-deflated.npz', 'numpy', '.npz, np.savez_compressed (deflated)'],
    ['fashion-mnist_train.csv', 'csv', 'CSV, 60,000 rows × 785 columns (Kaggle layout)'],
    ['table.csv', 'csv', 'CSV, 60,000 rows × 10 float features + class'],
  ];
  const lines = files.map(([name, mode, label]) => {
    const path = join(work, name);
    const runs = Array.from({ length: reps }, () => runChild(mode, path, bundle));
    return [label, `${mb(statSync(path).size)} MB`, `${formatCount(runs[0].count)}`, `${sec(median(runs.map((r) => r.ms)))} s`, `${sec(Math.min(...runs.map((r) => r.ms)))} s`, `${mb(median(runs.map((r) => r.peakRssAboveIdle)))} MB`];
  });
  console.log('');
  console.log(`The same training set in other files (written by numpy), ${reps} runs each, a fresh process per run:`);
  console.log('');
  const head = ['', 'file size', 'rows', 'time median', 'time min', 'peak RSS above idle (median)'];
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmt = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}

const formatCount = (n) => n.toLocaleString('en-US');

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5]);
else await main();
