/**
 * `trainbench export SPEC|RUN --to pytorch DIR`: a spec or a saved run as a standalone PyTorch
 * script with its data (engine/export). RUN is a run's folder, or a run id in the runs folder.
 * A spec or run PyTorch cannot train the same way is refused by name (exit 1).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, UsageError } from './args';
import { specFromArgs } from './specFiles';
import { RunsFolderSetting, defaultSettingsFile } from './runsFolder';
import { exportRunFolder, exportSpec, parseWeightsChoice, type ExportResult } from '../engine/export/runExport';

/** The run folder `source` names (a folder holding run.json, or a run id in the runs folder), or null. */
function runFolderOf(source: string, runsDir: string): string | null {
  for (const dir of [resolve(source), join(runsDir, source)]) {
    if (existsSync(join(dir, 'run.json')) && statSync(dir).isDirectory()) return dir;
  }
  return null;
}

function describe(result: ExportResult): string {
  const lines = [`exported ${result.run ? `run ${result.run}` : result.spec} (seed ${result.seed}) to ${result.dir}:`];
  for (const f of result.files) lines.push(`  ${f.name.padEnd(12)} ${f.bytes.toLocaleString('en-US')} bytes`);
  lines.push(`data: ${result.data}`);
  if (result.weights) lines.push(`weights.npz: ${result.weights}`);
  lines.push(`run it: python3 ${join(result.dir, 'train.py')}${result.weights ? ` --weights ${join(result.dir, 'weights.npz')} --epochs 0` : ''}`);
  return `${lines.join('\n')}\n`;
}

export async function runExportCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    to: { value: true },
    weights: { value: true },
    data: { value: true },
    set: { value: true, repeat: true },
    'runs-dir': { value: true },
    json: { value: false },
  });
  const to = args.flags.get('to')?.[0];
  if (to === undefined) throw new UsageError('export needs --to pytorch');
  if (to !== 'pytorch') throw new UsageError(`--to must be pytorch, got "${to}"`);
  const [source, dir, ...extra] = args.positional;
  if (!source) throw new UsageError('export needs a SPEC (a spec file or a preset) or a RUN (a run folder or id)');
  if (!dir) throw new UsageError('export needs the folder DIR to write train.py and data.npz into');
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const weightsFlag = args.flags.get('weights')?.[0];
  const choice = weightsFlag === undefined ? 'final' : parseWeightsChoice(weightsFlag);
  if (choice === null) throw new UsageError(`--weights must be final or step-N (a snapshot's step), got "${weightsFlag}"`);

  const runsDir = new RunsFolderSetting(args.flags.get('runs-dir')?.[0], defaultSettingsFile()).path;
  const runDir = runFolderOf(source, runsDir);
  let result: ExportResult;
  if (runDir) {
    if (args.flags.has('data') || args.flags.has('set')) throw new UsageError('--data and --set change a spec; a run is exported as it trained');
    result = await exportRunFolder(runDir, dir, choice);
  } else {
    if (weightsFlag !== undefined) throw new UsageError(`--weights needs a RUN: "${source}" is a spec, which has no trained weights`);
    const { spec } = specFromArgs('export', { positional: [source], flags: args.flags });
    result = await exportSpec(spec, source, dir);
  }
  process.stdout.write(args.flags.has('json') ? `${JSON.stringify(result)}\n` : describe(result));
  return 0;
}
