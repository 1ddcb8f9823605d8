/** What the benches share for reading options and timing on one thread. */

/** The value after `--name` on the command line, or `fallback`. */
export const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};

/**
 * This process's CPU time in ms (user + system). The wasm backend runs on the calling thread, so
 * on a machine shared with other busy processes CPU time measures the work far more steadily than
 * wall time, which counts the time the scheduler gave to others.
 */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The median CPU time of `reps` calls of `run`, after three calls of warm-up. */
export function medianCpuMs(run: () => void, reps: number): number {
  for (let i = 0; i < 3; i++) run();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = cpuMs();
    run();
    ms.push(cpuMs() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}
