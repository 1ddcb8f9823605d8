/**
 * The engine's temporary folders (uploads being decoded, models opened from elsewhere, the
 * wasm threads' worker scripts). Each is removed when its engine exits normally; an engine
 * killed by a signal or a crash cannot, so each folder names its owner's pid, and every engine
 * sweeps, when it starts, the folders whose owner is gone.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEMP_PREFIXES = ['trainbench-uploads-', 'trainbench-outside-', 'trainbench-wasm-'] as const;
export type TempPrefix = (typeof TEMP_PREFIXES)[number];

const OWNER_FILE = '.owner-pid';
/** A folder with no owner file (made before owners were recorded) is stale after a day. */
const UNOWNED_STALE_MS = 24 * 3600 * 1000;

/** A new temporary folder owned by this process. */
export function ownedTempDir(prefix: TempPrefix, root = tmpdir()): string {
  const dir = mkdtempSync(join(root, prefix));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

/** Whether a process with this pid runs (one of another user's counts as running). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temporary folders under `root` whose owner process is gone (or, with no owner
 * recorded, that are older than a day); returns the folders removed. Never throws: a folder
 * that cannot be read or removed is left.
 */
export function sweepStaleTempDirs(root = tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!TEMP_PREFIXES.some((p) => name.startsWith(p))) continue;
    const dir = join(root, name);
    try {
      let stale: boolean;
      try {
        const pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8').trim());
        stale = Number.isInteger(pid) && pid > 0 && pid !== process.pid && !running(pid);
      } catch {
        stale = now - statSync(dir).mtimeMs > UNOWNED_STALE_MS;
      }
      if (!stale) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Not ours to judge (another user's, or gone already): leave it.
    }
  }
  return removed;
}
