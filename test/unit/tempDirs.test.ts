/**
 * Temporary folders of engines that were killed are swept by the next engine: a folder whose
 * owner process is gone goes, one whose owner runs stays, and one with no owner recorded goes
 * only once it is a day old.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownedTempDir, sweepStaleTempDirs } from '../../src-main/engine/tempDirs';

const root = mkdtempSync(join(tmpdir(), 'tb-sweep-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('sweepStaleTempDirs', () => {
  it('removes the folders of engines that are gone and keeps the rest', () => {
    const mine = ownedTempDir('trainbench-uploads-', root);
    expect(readFileSync(join(mine, '.owner-pid'), 'utf8')).toBe(String(process.pid));
    const orphan = ownedTempDir('trainbench-outside-', root);
    const dead = deadPid();
    // Written as a killed engine would have left it.
    writeFileSync(join(orphan, '.owner-pid'), String(dead));
    mkdirSync(join(orphan, 'run'), { recursive: true });
    const oldUnowned = join(root, 'trainbench-uploads-old');
    mkdirSync(oldUnowned);
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    utimesSync(oldUnowned, twoDaysAgo, twoDaysAgo);
    const newUnowned = join(root, 'trainbench-wasm-new');
    mkdirSync(newUnowned);
    const notOurs = join(root, 'someone-else-uploads-x');
    mkdirSync(notOurs);
    utimesSync(notOurs, twoDaysAgo, twoDaysAgo);

    const removed = sweepStaleTempDirs(root);
    expect(removed.sort()).toEqual([oldUnowned, orphan].sort());
    expect(existsSync(mine)).toBe(true);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(oldUnowned)).toBe(false);
    expect(existsSync(newUnowned)).toBe(true);
    expect(existsSync(notOurs)).toBe(true);
  });

  it('never throws on a folder it cannot read', () => {
    expect(sweepStaleTempDirs(join(root, 'missing'))).toEqual([]);
  });
});
