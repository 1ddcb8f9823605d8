/**
 * Disk faults (issue 9): the runs folder on a full disk (a 2 MB tmpfs), turned read-only in the
 * middle of a run (the tmpfs remounted read-only) and immutable before a run (`chattr +i`: root
 * ignores chmod). Each time: a clear error naming the file and the cause, training stops
 * cleanly (status `failed`, the engine alive), and nothing written before is lost. Where this
 * machine cannot mount or chattr (not root, a container without the capability) the tests
 * skip and say why.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf, Spec } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { nextEvent, startHost } from '../support/engine';
import { preset } from '../support/presets';
import { countTestsAs } from '../support/reliability';
import { checkRunFolder } from '../support/runFolder';
import { mountTmpfs, remountReadOnly, setImmutable, unmount } from '../support/diskFaults';

countTestsAs('disk');

const root = mkdtempSync(join(tmpdir(), 'tb-disk-'));
const probeDir = join(root, 'probe');
mkdirSync(probeDir);
// Can this machine mount? Tried once, up front, so that the skip says why.
const mountRefusal = mountTmpfs(probeDir, 1024 * 1024);
if (mountRefusal === null) unmount(probeDir);
else console.warn(`skipping the full and read-only disk tests: ${mountRefusal}`);
const chattrRefusal = setImmutable(probeDir, true);
if (chattrRefusal === null) setImmutable(probeDir, false);
else console.warn(`skipping the immutable runs folder test: ${chattrRefusal}`);

/** ~133 k weights: a 530 KB snapshot every 5 steps fills 2 MB in a few dozen steps. */
const heavy: Spec = {
  ...preset('xor', { epochs: 100_000 }),
  dataset: { kind: 'builtin', name: 'xor', size: 32, seed: 0 },
  model: { layers: [{ type: 'dense', units: 512, activation: 'tanh' }, { type: 'dense', units: 256, activation: 'tanh' }, { type: 'dense', units: 1, activation: 'sigmoid' }] },
  monitor: { probeEvery: 10, probeSize: 32, snapshotEvery: 5, onNonFinite: 'stop' },
} as Spec;

let host: EngineHost;
const mounts: string[] = [];
beforeAll(async () => {
  host = startHost();
  await host.start();
});
afterAll(() => {
  host.dispose();
  for (const dir of mounts) unmount(dir);
  rmSync(root, { recursive: true, force: true });
});

function mounted(name: string, bytes: number): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const why = mountTmpfs(dir, bytes);
  if (why) throw new Error(why);
  mounts.push(dir);
  return dir;
}

/** Starts `spec` writing into `runsDir` and resolves with the job and its final status. */
async function train(spec: Spec, runsDir: string, during?: (job: { jobId: string; runDir: string }) => Promise<void>): Promise<{ job: { jobId: string; runDir: string }; status: EventOf<'train.status'> }> {
  const ended = (jobId: string): Promise<EventOf<'train.status'>> => nextEvent<EventOf<'train.status'>>(host, 'train.status', (e) => e.jobId === jobId && e.status !== 'running' && e.status !== 'paused', 60_000);
  const job = (await host.request('train.start', { spec, runsDir })) as { jobId: string; runDir: string };
  const status = ended(job.jobId);
  await during?.(job);
  return { job, status: await status };
}

describe.skipIf(mountRefusal !== null)('runs folder on a full disk', () => {
  it('fails the run with ENOSPC naming the file, keeps what was written, the engine trains on', async () => {
    const runsDir = mounted('full', 2 * 1024 * 1024);
    const { job, status } = await train(heavy, runsDir);
    expect(status.status).toBe('failed');
    expect(status.error).toMatch(/^(writing snapshots\/step-\d{8}\.safetensors|appending to (metrics|findings)\.jsonl|writing run\.json) in .*: ENOSPC: no space left on device/);
    const folder = checkRunFolder(job.runDir);
    expect(folder.snapshots.length).toBeGreaterThan(0);
    expect(folder.records.length).toBeGreaterThan(5);
    // run.json is whole (written atomically), whatever status it got to record.
    expect(JSON.parse(readFileSync(join(job.runDir, 'run.json'), 'utf8'))).toHaveProperty('spec');
    const runs = (await host.request('runs.list', { runsDir })) as { status: string }[];
    expect(['failed', 'interrupted']).toContain(runs[0]!.status);
    // The engine is alive and trains where there is room.
    const elsewhere = mkdtempSync(join(root, 'room-'));
    const again = await train(preset('xor', { epochs: 5 }), elsewhere);
    expect(again.status.status).toBe('done');
  });
});

describe.skipIf(mountRefusal !== null)('runs folder turned read-only mid-run', () => {
  it('fails the run with EROFS naming the file, keeps what was written', async () => {
    const runsDir = mounted('ro', 64 * 1024 * 1024);
    let stepsBefore = 0;
    const { job, status } = await train({ ...heavy, monitor: { ...heavy.monitor, snapshotEvery: 20 } }, runsDir, async ({ jobId }) => {
      await nextEvent<EventOf<'train.update'>>(host, 'train.update', (e) => e.jobId === jobId && (e.points.at(-1)?.step ?? 0) >= 20, 60_000);
      const why = remountReadOnly(runsDir);
      if (why) throw new Error(why);
      stepsBefore = 20;
    });
    expect(status.status).toBe('failed');
    expect(status.error).toMatch(/ in .*: EROFS: read-only file system/);
    const folder = checkRunFolder(job.runDir);
    expect(folder.records.filter((r) => (r as { type: string }).type === 'step').length).toBeGreaterThanOrEqual(stepsBefore);
    expect(folder.snapshots.length).toBeGreaterThan(0);
  });
});

describe.skipIf(chattrRefusal !== null)('immutable runs folder', () => {
  it('refuses to start with an error naming the folder, and changes nothing', async () => {
    const runsDir = join(root, 'immutable');
    mkdirSync(runsDir);
    setImmutable(runsDir, true);
    try {
      await expect(host.request('train.start', { spec: preset('xor', { epochs: 5 }), runsDir })).rejects.toMatchObject({
        code: 'failed',
        message: expect.stringMatching(/^cannot create the run folder .*immutable\/.*: EPERM: operation not permitted/),
      });
    } finally {
      setImmutable(runsDir, false);
    }
    // No job was left behind: a new one starts at once.
    const again = await train(preset('xor', { epochs: 5 }), runsDir);
    expect(again.status.status).toBe('done');
  });
});
