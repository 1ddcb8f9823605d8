#!/usr/bin/env node
// Training throughput of tfjs (wasm with Trainbench's kernels, cpu) against PyTorch (CPU).
//
//   node bench/throughput.mjs                 # the table and bench/results/throughput.json
//   node bench/throughput.mjs --ablation      # also each wasm fast path on its own (slower)
//   node bench/throughput.mjs --no-torch      # tfjs only
//   node bench/throughput.mjs --no-cpu        # without the (very slow) plain cpu backend
//   node bench/throughput.mjs --seconds 3     # length of one timing window (default 2.5)
//   node bench/throughput.mjs --wait-idle 600 # first wait up to 600 s for a 1-minute load < 0.3
//   node bench/throughput.mjs --rounds 3      # repeat everything, keep each configuration's best
//   node bench/throughput.mjs --models CNN --variants wasm,wasm-split   # a part of the table
//
// Variant `engine` is the engine itself: the Trainer, instrumented as in the app, with the
// kernel worker threads it starts (data-parallel steps for the CNN, dataParallel.ts), on random
// samples of MNIST shape shuffled each epoch (bench/support/engineThroughput.ts). The others are
// bare tfjs loops over the same batch, to show what each part of the wasm path contributes.
//
// Works offline with what is installed: src-main/engine/backend/wasmGradients.ts is bundled
// with the esbuild that node_modules holds (into bench/results/.build/, ignored by git) and
// imported; every configuration runs in a fresh child process (tfjs keeps global state).
// PyTorch is Debian's python3-torch under /usr/bin/python3 (a python3 on PATH may be a pyenv
// one without apt packages); when `import torch` fails there the script runs
// `apt-get install -y python3-torch` once, and leaves PyTorch out if that fails.
//
// Models (batch 128, Adam lr 1e-3, softmax cross-entropy from logits, random data of MNIST
// shape, the same batch every step, the loss read back every step as the app does):
//   MLP  784-128 relu-10
//   CNN  conv3×3 16 relu same, maxpool 2, conv3×3 32 relu same, maxpool 2, flatten, dense 10
// tfjs models are written with the ops the engine's network uses (fused conv2d/matMul with
// bias and relu, maxPool). Timing: warm-up (≥ 5 steps and ≥ 1 s), then windows of --seconds
// each until the last three agree within ±5 % of their median (at most 8 windows). The table
// gives the best window (the one least disturbed by other processes: PyTorch's two threads lose
// up to 5x when another process takes a core) and ± the spread of the last three; the JSON has
// every window. tfjs cpu is timed over a few steps only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const resultsDir = join(here, 'results');
const buildDir = join(resultsDir, '.build');
const kernelBundle = join(buildDir, 'wasmGradients.mjs');
const workerBundle = join(buildDir, 'kernelWorker.mjs');
const engineBundle = join(buildDir, 'engineThroughput.mjs');
const PYTHON = '/usr/bin/python3';
const BATCH = 128;
const MODELS = ['MLP', 'CNN'];

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const SECONDS = Number(option('--seconds', '2.5'));

// ---------------------------------------------------------------------------------------------
// Timing protocol, shared by the tfjs children (the PyTorch child repeats it in Python).

function measure(step, { seconds = SECONDS, minWarmSteps = 5, maxWindows = 8 } = {}) {
  const warmStart = performance.now();
  for (let i = 0; i < minWarmSteps || performance.now() - warmStart < 1000; i++) step();
  const windows = [];
  for (let w = 0; w < maxWindows; w++) {
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      step();
      steps++;
    }
    windows.push((steps * BATCH) / ((performance.now() - t0) / 1000));
    if (windows.length >= 3) {
      const last = windows.slice(-3);
      const median = [...last].sort((a, b) => a - b)[1];
      if (last.every((v) => Math.abs(v - median) <= 0.05 * median)) break;
    }
  }
  return summarise(windows);
}

/** Best window (the least disturbed by other processes), the median of the last three, stability. */
function summarise(windows) {
  const last = windows.slice(-3).sort((a, b) => a - b);
  const median = last[Math.floor(last.length / 2)];
  return {
    samplesPerSecond: Math.max(...windows),
    medianOfLastThree: median,
    spread: [last[0], last[last.length - 1]],
    windows,
    stable: last.length === 3 && last.every((v) => Math.abs(v - median) <= 0.05 * median),
  };
}

// ---------------------------------------------------------------------------------------------
// Child: one tfjs configuration, one model. Prints one JSON line.

async function child(model, variant) {
  if (variant === 'engine') {
    // The engine's Trainer as the app runs it (bench/support/engineThroughput.ts).
    const { engineWindows } = await import(pathToFileURL(engineBundle).href);
    const threads = Math.min(os.availableParallelism(), 4);
    const run = await engineWindows(model, BATCH, SECONDS, workerBundle, threads);
    const note = run.dataParallel ? `data-parallel steps on workers/here ${run.dataParallel.parallelSteps}/${run.dataParallel.sequentialSteps}` : undefined;
    process.stdout.write(JSON.stringify({ model, backend: variant, threads, ...summarise(run.windows), finalLoss: run.finalLoss, detail: note }) + '\n');
    process.exit(0);
  }
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const kernels = await import(pathToFileURL(kernelBundle).href);
  let registered = [];
  let threads = 1;
  if (variant !== 'cpu') {
    // wasm-basic: only the missing kernel; wasm+NAME: that fast path only; wasm: all of them.
    const fastPaths = variant === 'wasm-basic' ? false : variant.startsWith('wasm+') ? variant.slice(5).split('+') : true;
    registered = kernels.registerWasmGradientKernels(tf, { fastPaths });
    const restore = variant === 'wasm-threads' ? kernels.enableWasmThreads(tf, wasm, 2) : () => {};
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
    await tf.ready();
    restore();
    threads = wasm.getThreadsCount();
    if (variant === 'wasm-split') {
      // What the engine does on this machine: the heavy kernels split their batch across
      // worker threads (batchSplit.ts), one per core, at most 4.
      const count = Math.min(os.availableParallelism(), 4);
      kernels.splitWasmKernels(tf, await kernels.KernelThreads.start(workerBundle, count - 1));
      threads = count;
    }
  } else {
    await tf.setBackend('cpu');
  }
  const glorot = (shape, fanIn, fanOut, seed) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', seed));
  };
  const zeros = (n) => tf.variable(tf.zeros([n]));
  let vars;
  let forward;
  if (model === 'MLP') {
    vars = [glorot([784, 128], 784, 128, 1), zeros(128), glorot([128, 10], 128, 10, 2), zeros(10)];
    const [w1, b1, w2, b2] = vars;
    forward = (x) => {
      const h = tf.fused.matMul({ a: tf.reshape(x, [x.shape[0], 784]), b: w1, bias: b1, activation: 'relu' });
      return tf.fused.matMul({ a: h, b: w2, bias: b2 });
    };
  } else {
    vars = [glorot([3, 3, 1, 16], 9, 144, 1), zeros(16), glorot([3, 3, 16, 32], 144, 288, 2), zeros(32), glorot([1568, 10], 1568, 10, 3), zeros(10)];
    const [k1, c1, k2, c2, w, b] = vars;
    forward = (x) => {
      let h = tf.fused.conv2d({ x, filter: k1, strides: 1, pad: 'same', bias: c1, activation: 'relu' });
      h = tf.maxPool(h, 2, 2, 'valid');
      h = tf.fused.conv2d({ x: h, filter: k2, strides: 1, pad: 'same', bias: c2, activation: 'relu' });
      h = tf.maxPool(h, 2, 2, 'valid');
      return tf.fused.matMul({ a: tf.reshape(h, [h.shape[0], 1568]), b: w, bias: b });
    };
  }
  const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 8), 10);
  const optimizer = tf.train.adam(1e-3);
  let lastLoss = NaN;
  const step = () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), true, vars);
    lastLoss = loss.dataSync()[0];
    loss.dispose();
  };
  step();
  const tensorsAfterFirst = tf.memory().numTensors;
  const result =
    variant === 'cpu'
      ? (() => {
          step();
          const t0 = performance.now();
          const n = model === 'MLP' ? 20 : 3;
          for (let i = 0; i < n; i++) step();
          const sps = (n * BATCH) / ((performance.now() - t0) / 1000);
          return { samplesPerSecond: sps, spread: [sps, sps], windows: [sps], stable: false, note: `${n} steps only` };
        })()
      : measure(step);
  const leaked = tf.memory().numTensors - tensorsAfterFirst;
  process.stdout.write(JSON.stringify({ model, backend: variant, threads, registered, ...result, finalLoss: lastLoss, leakedTensors: leaked }) + '\n');
  process.exit(0); // worker threads of the threaded wasm build keep the process alive
}

// ---------------------------------------------------------------------------------------------
// PyTorch.

const TORCH_SCRIPT = String.raw`
import json, sys, time, torch, torch.nn as nn
torch.set_num_threads(2)
torch.manual_seed(0)
BATCH = 128
seconds = float(sys.argv[1])
only = sys.argv[2]
def mlp(): return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
def cnn(): return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
for name, make in [('MLP', mlp), ('CNN', cnn)]:
    if name != only: continue
    model = make(); opt = torch.optim.Adam(model.parameters(), lr=1e-3); lossf = nn.CrossEntropyLoss()
    x = torch.randn(BATCH, 1, 28, 28); y = torch.randint(0, 10, (BATCH,))
    def step():
        opt.zero_grad(); loss = lossf(model(x), y); loss.backward(); opt.step(); return loss.item()
    t0 = time.perf_counter(); n = 0
    while n < 5 or time.perf_counter() - t0 < 1.0: step(); n += 1
    windows = []
    for w in range(8):
        steps = 0; t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds: step(); steps += 1
        windows.append(steps * BATCH / (time.perf_counter() - t0))
        if len(windows) >= 3:
            last = sorted(windows[-3:]); med = last[1]
            if all(abs(v - med) <= 0.05 * med for v in last): break
    last = sorted(windows[-3:]); med = last[len(last) // 2]
    print(json.dumps({'model': name, 'backend': 'pytorch', 'threads': torch.get_num_threads(), 'windows': windows,
                      'finalLoss': step(), 'version': torch.__version__}), flush=True)
`;

function ensureTorch() {
  const probe = () => spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  let p = probe();
  if (p.status === 0) return { ok: true, version: p.stdout.trim() };
  console.error(`PyTorch is not importable by ${PYTHON}: installing python3-torch with apt-get …`);
  const install = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install.status !== 0) return { ok: false, why: 'apt-get install -y python3-torch failed' };
  p = probe();
  return p.status === 0 ? { ok: true, version: p.stdout.trim() } : { ok: false, why: (p.stderr || '').trim().split('\n').pop() };
}

function runTorch(model) {
  const p = spawnSync(PYTHON, ['-c', TORCH_SCRIPT, String(SECONDS), model], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = p.stdout.split('\n').find((l) => l.startsWith('{'));
  if (p.status !== 0 || !line) return { model, backend: 'pytorch', error: (p.stderr || `exit ${p.status}`).trim().split('\n').pop() };
  const r = JSON.parse(line);
  return { ...r, ...summarise(r.windows) };
}

// ---------------------------------------------------------------------------------------------
// Parent.

async function bundleKernels() {
  const { build } = await import('esbuild');
  mkdirSync(buildDir, { recursive: true });
  // The kernels, and the engine's kernel worker thread (wasm-split).
  // The contract's path alias, as in the app's build.
  const contract = {
    name: 'contract-alias',
    setup(b) {
      b.onResolve({ filter: /^@contract(\/.*)?$/ }, (a) => ({ path: join(root, 'src-main/contract', a.path === '@contract' ? 'index.ts' : `${a.path.slice('@contract/'.length)}.ts`) }));
    },
  };
  for (const [entry, outfile] of [
    ['src-main/engine/backend/wasmGradients.ts', kernelBundle],
    ['src-main/engine/backend/wasm/kernelWorker.ts', workerBundle],
    ['bench/support/engineThroughput.ts', engineBundle],
  ]) {
    await build({ entryPoints: [join(root, entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, packages: 'external', plugins: [contract], logLevel: 'warning' });
  }
}

function runChild(model, variant) {
  const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', model, variant, '--seconds', String(SECONDS)], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = p.stdout.split('\n').find((l) => l.startsWith('{'));
  if (p.status !== 0 || !line) {
    const why = (p.stderr || '').split('\n').filter((l) => l.trim() && !l.includes('tfjs-node') && !l.startsWith('====')).slice(-3).join(' | ');
    return { model, backend: variant, error: why || `exit ${p.status}` };
  }
  return JSON.parse(line);
}

function table(rows, torch) {
  const header = ['model', 'backend', 'samples/s', '± (last 3)', 'ratio vs PyTorch'];
  const lines = rows.map((r) => {
    if (r.error) return [r.model, r.backend, 'failed', '', r.error.slice(0, 60)];
    const ref = torch.find((t) => t.model === r.model);
    const spread = r.spread && !r.note ? `${(((r.spread[1] - r.spread[0]) / 2 / (r.medianOfLastThree ?? r.samplesPerSecond)) * 100).toFixed(1)}%` : '';
    const mark = r.stable === false && !r.note ? ' (unstable)' : r.note ? ` (${r.note})` : '';
    return [r.model, r.backend + mark, r.samplesPerSecond.toFixed(0), spread, ref ? `${(r.samplesPerSecond / ref.samplesPerSecond).toFixed(2)}×` : 'n/a'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells) => '| ' + cells.map((c, i) => (i >= 2 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ') + ' |';
  return [fmt(header), '|' + widths.map((w, i) => (i >= 2 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|', ...lines.map(fmt)].join('\n');
}

async function waitIdle(limitSeconds) {
  const until = Date.now() + limitSeconds * 1000;
  while (os.loadavg()[0] >= 0.3 && Date.now() < until) {
    console.error(`waiting for an idle machine (1-minute load ${os.loadavg()[0].toFixed(2)}) …`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
}

async function main() {
  if (flag('--wait-idle')) await waitIdle(Number(option('--wait-idle', '600')));
  const started = new Date().toISOString();
  const loadBefore = os.loadavg();
  await bundleKernels();
  const variants = ['wasm-basic'];
  if (flag('--ablation')) variants.push('wasm+Conv2DBackpropInput', 'wasm+MaxPoolGrad+AvgPoolGrad', 'wasm+BatchMatMul+_FusedMatMul', 'wasm+Identity+Cast');
  variants.push('wasm', 'wasm-split', 'wasm-threads', 'engine');
  if (!flag('--no-cpu')) variants.push('cpu');
  const only = option('--variants', null);
  if (only) variants.splice(0, variants.length, ...only.split(',').filter((v) => variants.includes(v)));
  const models = option('--models', MODELS.join(',')).split(',').filter((m) => MODELS.includes(m));
  const rounds = Number(option('--rounds', '1'));
  let torchStatus = { ok: false, why: 'left out (--no-torch)' };
  if (!flag('--no-torch')) torchStatus = ensureTorch();
  const torchNote = torchStatus.ok ? null : torchStatus.why;
  const best = new Map(); // model/backend → best result over rounds
  const keep = (r) => {
    const key = `${r.model}/${r.backend}`;
    const prev = best.get(key);
    if (!prev || prev.error || (!r.error && r.samplesPerSecond > prev.samplesPerSecond)) best.set(key, { ...r, rounds: [...(prev?.rounds ?? []), r.error ? null : r.samplesPerSecond] });
    else prev.rounds.push(r.error ? null : r.samplesPerSecond);
  };
  for (let round = 0; round < rounds; round++) {
    for (const model of models) {
      if (torchStatus.ok) {
        console.error(`${model} on PyTorch ${torchStatus.version} (2 threads) …`);
        keep(runTorch(model));
      }
      for (const variant of variants) {
        console.error(`${model} on tfjs ${variant} …`);
        keep(runChild(model, variant));
      }
    }
  }
  const order = [...variants, 'pytorch'];
  const rows = models.flatMap((model) => order.map((b) => best.get(`${model}/${b}`)).filter(Boolean));
  const torch = rows.filter((r) => r.backend === 'pytorch' && !r.error);
  const tfjsVersion = JSON.parse(readFileSync(join(root, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;
  const env = {
    started,
    node: process.version,
    tfjs: tfjsVersion,
    torch: torchStatus.ok ? torchStatus.version : null,
    rounds,
    torchNote,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverageBefore: loadBefore,
    loadAverageAfter: os.loadavg(),
    batch: BATCH,
    windowSeconds: SECONDS,
  };
  console.log(table(rows, torch));
  console.log(`\nsamples/s: the best timing window of each configuration (best of ${rounds} round${rounds > 1 ? 's' : ''}).`);
  console.log(`backends: wasm-basic = only the missing Conv2DBackpropFilter; wasm+X = that and fast path X only; wasm = all of Trainbench's kernels, 1 thread;`);
  console.log(`wasm-split = wasm with the heavy kernels splitting their batch across ${Math.min(os.availableParallelism(), 4)} threads, as the engine does (batchSplit.ts);`);
  console.log(`wasm-threads = the same as wasm on the threaded wasm build with 2 threads (experimental, enableWasmThreads); cpu = a few steps;`);
  console.log(`engine = the engine's Trainer as the app runs it, instrumented, with its threads: data-parallel steps where the spec allows (dataParallel.ts), kernel splitting otherwise.`);
  console.log(`${env.cores} cores (${env.cpu}), load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} before, ${env.loadAverageAfter.map((v) => v.toFixed(2)).join(' ')} after.`);
  if (torchNote) console.log(`PyTorch left out: ${torchNote}`);
  if (Math.max(loadBefore[0], env.loadAverageAfter[0]) > 0.7) {
    console.log('warning: other processes were using the CPU (load average above); PyTorch, on 2 threads, suffers most from that. Rerun on an idle machine.');
  }
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'throughput.json'), JSON.stringify({ env, results: rows }, null, 2) + '\n');
  console.log(`written: ${join('bench', 'results', 'throughput.json')}`);
}

if (argv[0] === '--child') await child(argv[1], argv[2]);
else await main();
