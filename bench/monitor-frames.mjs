#!/usr/bin/env node
// Frame time and latency of the live monitor (the Train screen), in Chromium, in serve mode.
//
//   npx electron-vite build && node bench/monitor-frames.mjs
//   node bench/monitor-frames.mjs --points 100000 --runs 8 --seconds 10 [--only mnist-mlp] [--cli other/out/main/cli.js] [--profile]
//
// Starts `node out/main/cli.js serve --port 0`, opens the page in Debian's Chromium
// (/usr/bin/chromium, or CHROMIUM_PATH) with `?bench=1`, which exposes a test hook on the
// page, and measures three scenarios:
//
//   1. synthetic: --runs runs of --points steps each overlaid, the last one live: fed through
//      the store's update path at the engine's rate (30 updates a second, 34 steps and a probe
//      every third update), for --seconds;
//   2. relu-abs live + synthetic: relu-abs trained from the UI (100,000 epochs, stopped after
//      --seconds), with --runs − 1 synthetic runs of --points steps overlaid;
//   3. mnist-mlp live: the bundled-MNIST MLP trained from the UI (5 epochs, --seconds at most).
//
// The page is 1400 × 900; the Train screen's panels below the fold skip their drawing, as
// they do for a person. "page CPU/frame" is the CPU time of Chromium's renderer process per
// frame, read from /proc: what the monitor costs, whatever else the machine is doing (the
// 1-minute load average is printed beside it).
//
// Frame time: the deltas between requestAnimationFrame callbacks while the run is live
// (p95 goal ≤ 16.7 ms). Latency: from a step's end in the engine to the frame that drew its
// point in the loss chart (p95 goal ≤ 100 ms). The engine stamps each step with ms since its
// job started (StepPoint.time); the page takes the job's start as the moment the job's first
// train.status event arrived (sent as the job starts), which is late by that event's one-way
// trip, so half a measured round trip (engine.info) is added to every latency. See
// src-renderer/src/features/monitor/latencyRecorder.ts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] !== undefined ? Number(argv[at + 1]) : fallback;
};
const POINTS = option('--points', 100_000);
const RUNS = option('--runs', 8);
const SECONDS = option('--seconds', 10);
/** --only synthetic|relu-abs|mnist-mlp: one scenario. */
const ONLY = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
/** --profile: print where the page's main thread spends its time while live (CDP sampling profiler). */
const PROFILE = argv.includes('--profile');
const FRAME_GOAL = 16.7;
const LATENCY_GOAL = 100;

/** --cli PATH: another build's out/main/cli.js (to compare an engine change). */
const cli = argv.includes('--cli') ? resolve(argv[argv.indexOf('--cli') + 1]) : join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('out/main/cli.js is missing: run `npx electron-vite build` first');
  process.exit(1);
}
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.error(`Chromium not found at ${chromiumPath}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  process.exit(1);
}

function startServe() {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolveUrl, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 30 s:\n${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /Trainbench is serving at (http:\/\/\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      resolveUrl({ url: match[1], child });
    });
  });
}

/** CPU ms used so far by Chromium's renderer processes (Linux /proc; 0 elsewhere). */
function rendererCpuMs() {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmd.includes('--type=renderer')) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return 0;
  }
  return (ticks * 1000) / 100;
}

const loadAverage = () => os.loadavg()[0].toFixed(1);

const quantile = (values, q) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
};

/** Injected into the page: collects requestAnimationFrame deltas between start and stop. */
const FRAME_PROBE = () => {
  const state = { deltas: [], running: false, last: 0 };
  const tick = (now) => {
    if (!state.running) return;
    if (state.last > 0) state.deltas.push(now - state.last);
    state.last = now;
    requestAnimationFrame(tick);
  };
  window.__frames = {
    start() {
      state.deltas = [];
      state.last = 0;
      state.running = true;
      requestAnimationFrame(tick);
    },
    stop() {
      state.running = false;
      return state.deltas;
    },
  };
};

async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(FRAME_PROBE);
  await page.goto(`${url}&bench=1`);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.waitForFunction(() => '__trainbenchBench' in window);
  await page.getByTestId('preset').waitFor();
  return { page, errors };
}

async function setUp(page, preset, epochs) {
  await page.getByTestId('preset').selectOption(preset);
  const field = page.getByTestId('setup-epochs');
  if (!(await field.isVisible())) await page.getByText('Training set-up').click();
  await field.fill(String(epochs));
  await field.press('Enter');
  const repeat = page.getByTestId('setup-repeat');
  await repeat.fill('1');
  await repeat.press('Enter');
}

async function pingMs(page) {
  const rtts = [];
  for (let i = 0; i < 7; i++) rtts.push(await page.evaluate(() => window.__trainbenchBench.ping()));
  return quantile(rtts, 0.5);
}

function row(name, deltas, latencies, extra = '', cpu = null) {
  return {
    name,
    cpuPerFrame: cpu && deltas.length > 0 ? cpu.ms / deltas.length : Number.NaN,
    load: cpu?.load ?? '',
    frames: deltas.length,
    p50: quantile(deltas, 0.5),
    p95: quantile(deltas, 0.95),
    max: Math.max(...deltas),
    slow: deltas.filter((d) => d > FRAME_GOAL * 1.5).length,
    latencyCount: latencies?.length ?? 0,
    l50: latencies ? quantile(latencies, 0.5) : Number.NaN,
    l95: latencies ? quantile(latencies, 0.95) : Number.NaN,
    lmax: latencies && latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
    extra,
  };
}

async function syntheticScenario(browser, url) {
  const { page, errors } = await openPage(browser, url);
  const t0 = performance.now();
  await page.evaluate(([runs, points]) => window.__trainbenchBench.addSyntheticRuns(runs, points), [RUNS - 1, POINTS]);
  const loadMs = performance.now() - t0;
  await page.waitForTimeout(1000);
  const perUpdate = 34;
  const cpu0 = rendererCpuMs();
  await page.evaluate(() => window.__frames.start());
  await page.evaluate(
    ([points, perUpdate, seconds]) =>
      window.__trainbenchBench.streamSynthetic({ startAt: points, points: points + perUpdate * 30 * seconds, perUpdate, rate: 30, probeEvery: 3 }),
    [POINTS, perUpdate, SECONDS],
  );
  const deltas = await page.evaluate(() => window.__frames.stop());
  const cpu = { ms: rendererCpuMs() - cpu0, load: loadAverage() };
  const counts = await page.evaluate(() => window.__trainbenchBench.counts());
  await page.close();
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  return row(
    `synthetic: ${RUNS} runs × ${POINTS.toLocaleString('en')} steps, 1 live`,
    deltas,
    null,
    `${counts.length} runs, ${Math.min(...counts).toLocaleString('en')}–${Math.max(...counts).toLocaleString('en')} steps each; ${RUNS - 1} runs loaded in ${Math.round(loadMs)} ms`,
    cpu,
  );
}

async function liveScenario(browser, url, preset, epochs, overlay) {
  const { page, errors } = await openPage(browser, url);
  await setUp(page, preset, epochs);
  await page.getByTestId('start').click();
  await page.getByTestId('job-status').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points') ?? 0) > 5, null, { timeout: 60_000 });
  if (overlay > 0) await page.evaluate(([runs, points]) => window.__trainbenchBench.addSyntheticRuns(runs, points), [overlay, POINTS]);
  await page.waitForTimeout(500);
  const rtt = await pingMs(page);
  const cpu0 = rendererCpuMs();
  const profiler = PROFILE ? await startProfiler(page) : null;
  await page.evaluate(() => {
    window.__frames.start();
    window.__trainbenchBench.startLatency();
  });
  const started = Date.now();
  // Until the run ends or SECONDS pass, whichever is first.
  while (Date.now() - started < SECONDS * 1000) {
    const status = await page.getByTestId('job-status').textContent();
    if (status !== 'running') break;
    await page.waitForTimeout(200);
  }
  // Let the last update reach the screen before stopping the recorders.
  await page.waitForTimeout(150);
  const deltas = await page.evaluate(() => window.__frames.stop());
  const cpu = { ms: rendererCpuMs() - cpu0, load: loadAverage() };
  if (profiler) await printProfile(preset, profiler);
  const raw = await page.evaluate(() => window.__trainbenchBench.stopLatency());
  const arrivals = (await page.evaluate(() => window.__trainbenchBench.arrivals())).map((l) => l + rtt / 2);
  const latencies = raw.map((l) => l + rtt / 2);
  const points = Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  const backend = await page.getByTestId('run-backend').textContent();
  const throughput = await page.getByTestId('throughput').textContent();
  if ((await page.getByTestId('job-status').textContent()) === 'running') await page.getByTestId('stop').click();
  await page.close();
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  const name = overlay > 0 ? `${preset} live + ${overlay} × ${POINTS.toLocaleString('en')}-step runs` : `${preset} live`;
  return row(
    name,
    deltas,
    latencies,
    `${backend}, ${points.toLocaleString('en')} steps on screen, ${throughput} samples/s, round trip ${rtt.toFixed(1)} ms; to the page (before drawing) p50 ${fmt(quantile(arrivals, 0.5))} p95 ${fmt(quantile(arrivals, 0.95))} ms`,
    cpu,
  );
}

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(1) : '—');

async function startProfiler(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return cdp;
}

/** Self time per function over the measured window, the 20 largest. */
async function printProfile(name, cdp) {
  const { profile } = await cdp.send('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  console.log(`\nprofile of the page while ${name} was live (${(total / 1000).toFixed(1)} s sampled), self time:`);
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${key}`);
}

async function main() {
  const { url, child } = await startServe();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const rows = [];
  try {
    if (!ONLY || ONLY === 'synthetic') rows.push(await syntheticScenario(browser, url));
    if (!ONLY || ONLY === 'relu-abs') rows.push(await liveScenario(browser, url, 'relu-abs', 100_000, RUNS - 1));
    if (!ONLY || ONLY === 'mnist-mlp') rows.push(await liveScenario(browser, url, 'mnist-mlp', 5, 0));
  } finally {
    await browser.close();
    child.kill('SIGTERM');
  }
  const cpus = os.cpus();
  console.log(`\nmonitor frames: Chromium ${browser.version()} headless, --disable-gpu; ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}; Node ${process.versions.node}`);
  console.log(`goals: p95 frame ≤ ${FRAME_GOAL} ms while live, p95 latency ≤ ${LATENCY_GOAL} ms from a step's end in the engine to its point on screen\n`);
  const header = ['scenario', 'frames', 'p50 ms', 'p95 ms', 'max ms', `>${(FRAME_GOAL * 1.5).toFixed(0)} ms`, 'page CPU/frame', 'load', 'latency p50', 'p95', 'max', 'points'];
  const lines = rows.map((r) => [
    r.name,
    String(r.frames),
    fmt(r.p50),
    fmt(r.p95),
    fmt(r.max),
    String(r.slow),
    fmt(r.cpuPerFrame),
    r.load,
    fmt(r.l50),
    fmt(r.l95),
    fmt(r.lmax),
    r.latencyCount ? String(r.latencyCount) : '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const print = (cells) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  print(header);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) print(line);
  console.log('');
  for (const r of rows) console.log(`  ${r.name}: ${r.extra}`);
  console.log(
    `\nFrame deltas are whole vsync intervals (16.7 ms ± timer jitter): a p95 of one interval means at least 95 % of frames were on time. ` +
      `"page CPU/frame": CPU time of Chromium's renderer process per frame. "load": the 1-minute load average at the end (${cpus.length} cores); other work on the machine delays frames and the engine.`,
  );
  const framesOk = rows.every((r) => r.p95 < FRAME_GOAL * 1.5);
  const latencyOk = rows.filter((r) => r.latencyCount > 0).every((r) => r.l95 <= LATENCY_GOAL);
  console.log(`\np95 frame time ${framesOk ? 'meets' : 'MISSES'} the goal (no frame dropped at p95); p95 latency ${latencyOk ? 'meets' : 'MISSES'} the goal.`);
  process.exitCode = framesOk && latencyOk ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
