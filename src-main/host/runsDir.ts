/**
 * Where runs live unless the user says otherwise: under the user's data directory, as desktop
 * apps keep their data (XDG on Linux, Application Support on macOS, AppData on Windows).
 * TRAINBENCH_RUNS_DIR overrides it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultRunsDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['TRAINBENCH_RUNS_DIR']) return env['TRAINBENCH_RUNS_DIR'];
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Trainbench', 'runs');
  if (platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Trainbench', 'runs');
  return join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'trainbench', 'runs');
}
