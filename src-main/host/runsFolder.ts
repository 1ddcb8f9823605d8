/**
 * Which folder runs live in, and the saved setting that changes it. At start the order is:
 * --runs-dir, then TRAINBENCH_RUNS_DIR, then the folder saved from the Runs screen, then the
 * default under the user's data directory. Setting it from the Runs screen applies at once
 * and is saved; a later start with --runs-dir still uses --runs-dir.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ContractError, type RunsFolder } from '@contract';
import { defaultRunsDir } from './runsDir';

/** Where the app's settings are saved outside Electron; TRAINBENCH_SETTINGS_FILE overrides it. */
export function defaultSettingsFile(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['TRAINBENCH_SETTINGS_FILE']) return env['TRAINBENCH_SETTINGS_FILE'];
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Trainbench', 'settings.json');
  if (platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Trainbench', 'settings.json');
  return join(env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'trainbench', 'settings.json');
}

interface Settings {
  runsDir?: string;
}

/** The saved settings; an absent or unreadable file is no settings (the defaults apply). */
export function readSettings(file: string): Settings {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Settings) : {};
  } catch {
    return {};
  }
}

function writeSettings(file: string, settings: Settings): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(settings, null, 2)}\n`);
  renameSync(temporary, file);
}

export class RunsFolderSetting {
  private current: RunsFolder;

  /**
   * @param flag --runs-dir, when given
   * @param settingsFile where the setting is saved; null: it cannot be changed for good
   * @param fallback the folder when nothing else says (defaults to {@link defaultRunsDir} without the env)
   */
  constructor(flag: string | undefined, private readonly settingsFile: string | null, env: NodeJS.ProcessEnv = process.env, fallback?: string) {
    const saved = settingsFile ? readSettings(settingsFile).runsDir : undefined;
    const base = { settingsFile };
    if (flag) this.current = { ...base, path: resolve(flag), source: 'flag' };
    else if (env['TRAINBENCH_RUNS_DIR']) this.current = { ...base, path: resolve(env['TRAINBENCH_RUNS_DIR']), source: 'env' };
    else if (typeof saved === 'string' && isAbsolute(saved)) this.current = { ...base, path: saved, source: 'settings' };
    else this.current = { ...base, path: fallback ?? defaultRunsDir({ ...env, TRAINBENCH_RUNS_DIR: '' }), source: 'default' };
  }

  get(): RunsFolder {
    return { ...this.current };
  }

  get path(): string {
    return this.current.path;
  }

  /** Uses `path` from now on and saves it. Refuses a relative path or one that cannot be made a folder. */
  set(path: string): RunsFolder {
    if (!isAbsolute(path)) {
      throw new ContractError({ code: 'invalid-payload', message: `runs folder "${path}": give an absolute path`, issues: [{ path: 'path', message: 'not absolute' }] });
    }
    const folder = resolve(path);
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      throw new ContractError({ code: 'failed', message: `runs folder "${folder}" cannot be created: ${(error as Error).message}` });
    }
    if (this.settingsFile) {
      try {
        writeSettings(this.settingsFile, { ...readSettings(this.settingsFile), runsDir: folder });
      } catch (error) {
        throw new ContractError({ code: 'failed', message: `the setting could not be saved to ${this.settingsFile}: ${(error as Error).message}` });
      }
    }
    this.current = { path: folder, source: 'settings', settingsFile: this.settingsFile };
    return this.get();
  }
}
