/**
 * The runs channels the host answers itself: the runs folder (the host decides where runs
 * are written), delete and reveal (in the desktop app they need the system's trash and file
 * manager, which only Electron main can reach). Electron's `shell` comes in as a
 * {@link RunShell}; without one (serve, CLI) a deleted run goes to `<runs folder>/.trash` and
 * reveal only answers the path, for the page to show.
 */
import type { ParsedRequestOf, ResponseOf } from '@contract';
import { assertNotRunning, moveToRunsTrash, resolveRunDir } from '../engine/runs/runActions';
import type { RunsFolderSetting } from './runsFolder';

/** What the desktop app lends: Electron's shell.trashItem and shell.showItemInFolder. */
export interface RunShell {
  trash(path: string): Promise<void>;
  reveal(path: string): void;
}

export const RUNS_HOST_CHANNELS = ['runs.folder', 'runs.delete', 'runs.reveal'] as const;
export type RunsHostChannel = (typeof RUNS_HOST_CHANNELS)[number];

export function isRunsHostChannel(channel: string): channel is RunsHostChannel {
  return (RUNS_HOST_CHANNELS as readonly string[]).includes(channel);
}

export class RunsHost {
  constructor(
    readonly folder: RunsFolderSetting,
    private readonly shell: RunShell | null = null,
  ) {}

  async handle<C extends RunsHostChannel>(channel: C, payload: ParsedRequestOf<C>): Promise<ResponseOf<C>> {
    return (await this.dispatch(channel, payload as ParsedRequestOf<RunsHostChannel>)) as ResponseOf<C>;
  }

  private async dispatch(channel: RunsHostChannel, payload: ParsedRequestOf<RunsHostChannel>): Promise<ResponseOf<RunsHostChannel>> {
    if (channel === 'runs.folder') {
      const { path } = payload as ParsedRequestOf<'runs.folder'>;
      return path === undefined ? this.folder.get() : this.folder.set(path);
    }
    const { runId, runsDir } = payload as ParsedRequestOf<'runs.delete'>;
    const root = runsDir ?? this.folder.path;
    if (channel === 'runs.delete') {
      if (this.shell) {
        const dir = resolveRunDir(root, runId);
        assertNotRunning(dir);
        await this.shell.trash(dir);
        return { runId, where: 'system-trash', path: null };
      }
      return { runId, where: 'runs-trash', path: moveToRunsTrash(root, runId) };
    }
    const dir = resolveRunDir(root, runId);
    this.shell?.reveal(dir);
    return { path: dir, shown: this.shell !== null };
  }
}
