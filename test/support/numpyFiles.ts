/**
 * NumPy files written by real numpy (Debian's python3-numpy, which .ci/run installs), never by
 * our own writer: what the readers must take is what Python users save. `numpyPython()` finds
 * an interpreter that has numpy (Debian's /usr/bin/python3 first: the python3 on PATH may be
 * another without it) or says what is missing.
 */
import { spawnSync } from 'node:child_process';

let found: { python: string } | { missing: string } | null = null;

/** The interpreter with numpy, or why there is none. */
export function numpyPython(): { python: string } | { missing: string } {
  if (found) return found;
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.status === 0) return (found = { python });
  }
  return (found = { missing: 'no Python with numpy (/usr/bin/python3 or python3 on PATH): apt-get install -y python3-numpy' });
}

/** Runs a Python script with numpy imported as np and `out` the folder to write into. */
export function runNumpy(out: string, script: string): void {
  const py = numpyPython();
  if ('missing' in py) throw new Error(py.missing);
  const r = spawnSync(py.python, ['-c', `import sys, numpy as np, os\nout = sys.argv[1]\n${script}`, out], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`numpy script failed (${r.status}): ${r.stderr}`);
}
