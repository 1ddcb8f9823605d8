/**
 * Crashes (issue 9): the engine is SIGKILLed during training, during a snapshot write and
 * during a dataset load. Each time the host reports it, a new engine starts, and a run that
 * was being written reopens as `interrupted` with every complete record; a snapshot is whole
 * or absent (a `*.tmp-PID` leftover at most, never a truncated `*.safetensors`). And the
 * other way round: an engine whose host dies exits instead of training on alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineInfo, EventOf, Spec } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { ENGINE_PATH, nextEvent, startHost } from '../support/engine';
import { preset } from '../support/presets';
import { countTestsAs } from '../support/reliability';
import { checkRunFolder } from '../support/runFolder';

countTestsAs('crashes');

const FASHION = '/usr/share/datasets/fashion-mnist';
const fashionPresent = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'].every((f) => existsSync(join(FASHION, f)));
if (!fashionPresent) console.warn(`skipping the crash-during-dataset-load test: ${FASHION} lacks Fashion-MNIST (apt install dataset-fashion-mnist)`);

let host: EngineHost | null = null;
const folders: string[] = [];
afterEach(() => {
  host?.dispose();
  host = null;
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runsFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-crash-'));
  folders.push(dir);
  return dir;
}

/** Kills the engine and waits until the host has reported the crash and a new engine answers. */
async function killAndRecover(h: EngineHost, pid: number): Promise<{ crashed: EventOf<'engine.status'>; info: EngineInfo }> {
  const crashed = nextEvent<EventOf<'engine.status'>>(h, 'engine.status', (e) => e.state === 'crashed');
  const ready = nextEvent<EventOf<'engine.status'>>(h, 'engine.status', (e) => e.state === 'ready');
  process.kill(pid, 'SIGKILL');
  const report = await crashed;
  await ready;
  const info = (await h.request('engine.info', {})) as EngineInfo;
  return { crashed: report, info };
}

/** Alive and not a zombie (an orphan's zombie lingers where PID 1 does not reap). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}


describe('the engine killed', () => {
  it('during training: the run reopens as interrupted with every complete record', async () => {
    const runsDir = runsFolder();
    host = startHost({ runsDir });
    const first = await host.start();
    const spec: Spec = { ...preset('xor', { epochs: 100_000 }), monitor: { probeEvery: 10, probeSize: 64, snapshotEvery: 25, onNonFinite: 'stop' } };
    const job = (await host.request('train.start', { spec })) as { jobId: string; runDir: string };
    await nextEvent<EventOf<'train.update'>>(host, 'train.update', (e) => e.jobId === job.jobId && (e.points.at(-1)?.step ?? 0) > 150);
    const { crashed, info } = await killAndRecover(host, first.pid);
    expect(crashed.message).toMatch(/killed by SIGKILL; starting a new one/);
    expect(info.pid).not.toBe(first.pid);
    const runs = (await host.request('runs.list', {})) as { dir: string; status: string; steps: number | null }[];
    expect(runs.map((r) => [r.dir, r.status])).toEqual([[job.runDir, 'interrupted']]);
    const folder = checkRunFolder(job.runDir);
    // Every batch a client saw was on disk first: at least the 150 steps seen above.
    expect(folder.records.filter((r) => (r as { type: string }).type === 'step').length).toBeGreaterThan(150);
    expect(runs[0]!.steps!).toBeGreaterThan(150);
    expect(folder.snapshots.length).toBeGreaterThan(0);
    // The new engine trains again.
    const again = (await host.request('train.start', { spec: preset('xor', { epochs: 5 }) })) as { jobId: string };
    await nextEvent<EventOf<'train.status'>>(host, 'train.status', (e) => e.jobId === again.jobId && e.status === 'done');
  });

  it('during a snapshot write: no snapshot is half-written', async () => {
    // The write is caught in the act: the temporary name of step 60's snapshot is made a FIFO
    // first, so the engine's write blocks inside writeFileSync once the pipe is full, and the
    // kill lands there for certain (a timed kill mostly lands between writes).
    const spec: Spec = {
      ...preset('xor', { epochs: 100_000 }),
      model: { layers: [{ type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 1, activation: 'sigmoid' }] },
      monitor: { probeEvery: 1_000_000, probeSize: 8, snapshotEvery: 1, onNonFinite: 'stop' },
    } as Spec;
    const runsDir = runsFolder();
    host = startHost({ runsDir });
    const first = await host.start();
    const job = (await host.request('train.start', { spec })) as { jobId: string; runDir: string };
    const trap = join(job.runDir, 'snapshots', `step-00000060.safetensors.tmp-${first.pid}`);
    const made = spawnSync('mkfifo', [trap], { encoding: 'utf8' });
    expect(made.status, `mkfifo: ${made.stderr}`).toBe(0);
    // Resolves when the engine opens the FIFO to write step 60's snapshot.
    const reader = await open(trap, 'r');
    const chunk = Buffer.alloc(16 * 1024);
    const { bytesRead } = await reader.read(chunk, 0, chunk.length, null);
    expect(bytesRead).toBeGreaterThan(0); // the write has begun; the rest (≈ 260 KB) waits on the pipe
    const { crashed } = await killAndRecover(host, first.pid);
    await reader.close();
    expect(crashed.message).toContain('SIGKILL');
    const runs = (await host.request('runs.list', {})) as { status: string }[];
    expect(runs.map((r) => r.status)).toEqual(['interrupted']);
    const folder = checkRunFolder(job.runDir); // throws on a truncated *.safetensors
    expect(folder.leftovers).toEqual([`step-00000060.safetensors.tmp-${first.pid}`]);
    expect(folder.snapshots).not.toContain('step-00000060.safetensors');
    expect(folder.snapshots).toContain('step-00000059.safetensors');
  });

  it.skipIf(!fashionPresent)('during a Fashion-MNIST load: the load fails with the crash, nothing half-loaded remains', async () => {
    host = startHost();
    const first = await host.start();
    // No progress events for a path load: its start shows in the engine's read count instead.
    const readBytes = (): number => Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${first.pid}/io`, 'utf8'))?.[1] ?? 0);
    const baseline = readBytes();
    let settled = false;
    const load = host.request('dataset.load', { source: { kind: 'idx', path: FASHION } }).then(
      () => 'loaded',
      (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`,
    );
    void load.finally(() => (settled = true));
    while (readBytes() - baseline < 4 * 1024 * 1024 && !settled) await new Promise((r) => setTimeout(r, 5));
    expect(settled, 'the load ended before the kill').toBe(false);
    const { crashed, info } = await killAndRecover(host, first.pid);
    expect(await load).toMatch(/^engine-unavailable: dataset\.load: the engine killed by SIGKILL/);
    expect(crashed.message).toContain('SIGKILL');
    expect(info.pid).not.toBe(first.pid);
    expect(await host.request('dataset.list', {})).toEqual([]);
  });
});

describe('the host killed', () => {
  it('the engine exits instead of training on alone', async () => {
    // A stand-in host: forks the engine, starts a long job, prints the engine's pid.
    const script = `
      const { fork } = require('node:child_process');
      const engine = fork(${JSON.stringify(ENGINE_PATH)}, ['--backend', 'cpu'], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      engine.on('message', (m) => { if (m.type === 'event' && m.channel === 'train.update') { process.stdout.write(engine.pid + '\\n'); } });
      const spec = ${JSON.stringify(preset('xor', { epochs: 100_000 }))};
      engine.send({ type: 'request', id: 1, channel: 'train.start', payload: { spec } });
      setInterval(() => undefined, 1000);
    `;
    const fakeHost = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const enginePid = await new Promise<number>((resolve, reject) => {
      fakeHost.stdout.once('data', (chunk: Buffer) => resolve(Number.parseInt(chunk.toString(), 10)));
      fakeHost.once('exit', () => reject(new Error('the stand-in host exited before the engine trained')));
    });
    expect(isAlive(enginePid)).toBe(true);
    fakeHost.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (isAlive(enginePid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const alive = isAlive(enginePid);
    if (alive) process.kill(enginePid, 'SIGKILL');
    expect(alive, `engine ${enginePid} still running 10 s after its host died`).toBe(false);
  });
});
