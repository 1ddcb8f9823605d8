/**
 * The Runs screen's channels: rename, tag, delete, reveal and export a saved run, and the
 * runs folder itself. A run is named by its id, the name of its folder directly under the
 * runs folder: never a path, so that no request can reach outside that folder.
 */
import { z } from 'zod';
import { RunSummary } from './training';

/** A run folder's name: letters, digits, `_`, `-` and `.`, not starting with a dot (no `..`, no `/`). */
export const RunId = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'a run id is a folder name of letters, digits, "_", "-" and "." that does not start with "."')
  .refine((id) => !id.includes('..'), 'a run id cannot contain ".."');
export type RunId = z.infer<typeof RunId>;

/** The runs folder to act in; none: the host's. */
const RunsDir = z.string().min(1).max(4096).optional();

export const RunTag = z.string().trim().min(1).max(40);
export const RUN_TAGS_MAX = 20;

/** 'pytorch': train.py, data.npz and weights.npz (engine/export), written into the run's pytorch/ folder and sent as a tar. */
export const RunExportWhat = z.enum(['model', 'metrics-csv', 'findings-md', 'pytorch']);
export type RunExportWhat = z.infer<typeof RunExportWhat>;

export const RunExport = z.object({
  /** A name to save it under, e.g. `20261202T061500Z-relu-abs-s1-metrics.csv`. */
  fileName: z.string(),
  mediaType: z.string(),
  bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array'),
  /** Where the exported thing lies on disk too (the model folder), when it does. */
  path: z.string().nullable(),
});
export type RunExport = z.infer<typeof RunExport>;

export const RunsFolderSource = z.enum(['flag', 'env', 'settings', 'default']);
export const RunsFolder = z.object({
  path: z.string(),
  /** What chose it: --runs-dir, TRAINBENCH_RUNS_DIR, the saved setting, or the default. */
  source: RunsFolderSource,
  /** Where the setting is saved, null where none can be (no settings file configured). */
  settingsFile: z.string().nullable(),
});
export type RunsFolder = z.infer<typeof RunsFolder>;

export const runsRequests = {
  'runs.rename': { request: z.object({ runId: RunId, name: z.string().trim().min(1).max(200), runsDir: RunsDir }).strict(), response: RunSummary },
  'runs.tag': { request: z.object({ runId: RunId, tags: z.array(RunTag).max(RUN_TAGS_MAX), runsDir: RunsDir }).strict(), response: RunSummary },
  /** Desktop app: to the system trash. serve: moved to `<runs folder>/.trash/<id>`. */
  'runs.delete': {
    request: z.object({ runId: RunId, runsDir: RunsDir }).strict(),
    response: z.object({ runId: RunId, where: z.enum(['system-trash', 'runs-trash']), path: z.string().nullable() }),
  },
  /** Desktop app: shows the folder in the file manager. serve: only answers its path, for the page to show. */
  'runs.reveal': {
    request: z.object({ runId: RunId, runsDir: RunsDir }).strict(),
    response: z.object({ path: z.string(), shown: z.boolean() }),
  },
  'runs.export': { request: z.object({ runId: RunId, what: RunExportWhat, runsDir: RunsDir }).strict(), response: RunExport },
  /** Gets the runs folder, or sets (and saves) it when `path` is given. */
  'runs.folder': { request: z.object({ path: z.string().trim().min(1).max(4096).optional() }).strict(), response: RunsFolder },
} as const;
