/**
 * Disk faults for the disk tests (issue 9): a tiny tmpfs that fills up, remounted read-only
 * mid-run, and `chattr +i` (root ignores chmod, not the immutable flag). Each returns why it
 * cannot be done here (not root, no mount in a container, a filesystem without attributes)
 * so that tests skip saying so instead of passing without testing.
 */
import { spawnSync } from 'node:child_process';

function run(command: string, args: string[]): string | null {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return `${command}: ${result.error.message}`;
  if (result.status !== 0) return `${command} ${args.join(' ')}: ${(result.stderr || result.stdout).trim() || `exit ${result.status}`}`;
  return null;
}

/** Mounts a tmpfs of `bytes` on `dir`; returns null on success, else why not. */
export function mountTmpfs(dir: string, bytes: number): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  return run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
}

/**
 * Remounts a mounted tmpfs read-only. The run's writers open a file per write, so the remount
 * is refused ("mount point is busy") only while a write is in flight: it is tried again, every
 * 20 ms for up to 2 s (a snapshot every few steps of a fast model is often in flight).
 */
export function remountReadOnly(dir: string): string | null {
  let why: string | null = null;
  for (let attempt = 0; attempt < 100; attempt++) {
    why = run('mount', ['-o', 'remount,ro', dir]);
    if (why === null || !/busy/i.test(why)) return why;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return why;
}

export function unmount(dir: string): void {
  if (run('umount', [dir]) !== null) run('umount', ['-l', dir]);
}

/** Sets or clears the immutable flag; returns null on success, else why not. */
export function setImmutable(path: string, on: boolean): string | null {
  if (process.getuid?.() !== 0) return 'chattr +i needs root';
  return run('chattr', [on ? '+i' : '-i', path]);
}
