/**
 * `trainbench`: the command-line face of the one program.
 *   trainbench serve [--host 127.0.0.1] [--port N] [--backend NAME]
 *   trainbench train SPEC [...]          headless training on the same engine
 *   trainbench compare SPEC_A SPEC_B ... the same seeds on 2–4 specs, one row per spec
 *   trainbench info [--backend NAME]     the engine's backend and versions, as JSON
 *   trainbench gradcheck SPEC [...]      backprop against central differences, per layer
 *   trainbench export SPEC|RUN --to pytorch DIR   a standalone PyTorch script with its data
 */
import { join } from 'node:path';
import { BackendName, type EngineInfo } from '@contract';
import { EngineHost } from './engineHost';
import { nodeSpawner } from './nodeSpawner';
import { startServe } from './serve';
import { presetNames } from '../engine/presets';
import { parseArgs, intFlag, UsageError, type ParsedArgs } from './args';
import { runTrainCommand } from './trainCommand';
import { runCompareCommand } from './compareCommand';
import { runGradcheckCommand } from './gradcheckCommand';
import { runExportCommand } from './exportCommand';
import { defaultRunsDir } from './runsDir';
import { RunsFolderSetting, defaultSettingsFile } from './runsFolder';
import { RunsHost } from './runsHost';
import { exitAfterOutput } from './exitAfterOutput';

const USAGE = `usage:
  trainbench serve [--host 127.0.0.1] [--port N] [--backend NAME] [--runs-dir D]
  trainbench train SPEC [--data PATH] [--repeat N] [--seed S] [--set path=value ...] [--fix] [--backend NAME] [--runs-dir D] [--json]
      --fix: trains N seeds (default 10), then the first suggestion on the first failed seed on the same seeds, and prints both success rates
  trainbench compare SPEC_A SPEC_B [SPEC_C SPEC_D] [--repeat N] [--seed S] [--set path=value ...] [--set B:path=value ...] [--backend NAME] [--runs-dir D] [--json]
      trains every spec on the same seeds; --set B:path=value changes spec B only
  trainbench info [--backend NAME]
  trainbench gradcheck SPEC [--data PATH] [--seed S] [--samples N] [--set path=value ...] [--backend NAME] [--json]
  trainbench export SPEC|RUN --to pytorch DIR [--weights final|step-N] [--data PATH] [--set path=value ...] [--runs-dir D] [--json]
      writes DIR/train.py (torch + numpy), DIR/data.npz and, for a RUN (a run folder or id), DIR/weights.npz

SPEC is a spec file or a preset: ${presetNames().join(', ')}
backends: ${BackendName.options.join(', ')}
runs are written to --runs-dir, else $TRAINBENCH_RUNS_DIR, else the folder set on the Runs screen, else ${defaultRunsDir()}`;

/** Each command's lines of USAGE, for `trainbench COMMAND --help`. */
function commandUsage(command: string): string | null {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  trainbench ${command} `) || l === `  trainbench ${command}`);
  if (start < 0) return null;
  let end = start + 1;
  while (end < lines.length && lines[end]!.startsWith('      ')) end++;
  return ['usage:', ...lines.slice(start, end), '', ...lines.slice(lines.indexOf('') + 1)].join('\n');
}

export const ENGINE_PATH = join(__dirname, 'engine.js');
export const RENDERER_ROOT = join(__dirname, '..', 'renderer');

function backendFlag(args: ParsedArgs): BackendName | undefined {
  const raw = args.flags.get('backend')?.[0];
  if (raw === undefined) return undefined;
  const parsed = BackendName.safeParse(raw);
  if (!parsed.success) throw new UsageError(`--backend must be one of ${BackendName.options.join(', ')}, got "${raw}"`);
  return parsed.data;
}

export function createHost(backend: BackendName | undefined, log: (line: string) => void, runsDir?: string, runs?: RunsHost): EngineHost {
  return new EngineHost(nodeSpawner(ENGINE_PATH), { backend, log, ...(runsDir ? { runsDir } : {}), ...(runs ? { runs } : {}) });
}

function describeBackends(info: EngineInfo): string {
  return info.backends.map((b) => `  ${b.available ? '✓' : '✗'} ${b.name.padEnd(15)} ${b.reason ?? (b.name === info.backend ? 'in use' : 'available')}`).join('\n');
}

async function serve(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { host: { value: true }, port: { value: true }, backend: { value: true }, 'runs-dir': { value: true } });
  if (args.positional.length > 0) throw new UsageError(`serve takes no arguments, got "${args.positional.join(' ')}"`);
  const port = intFlag(args, 'port', 0, 0, 65535);
  const host = args.flags.get('host')?.[0] ?? '127.0.0.1';
  const log = (line: string): void => void process.stderr.write(`[serve] ${line}\n`);
  const folder = new RunsFolderSetting(args.flags.get('runs-dir')?.[0], defaultSettingsFile());
  const engine = createHost(backendFlag(args), log, folder.path, new RunsHost(folder));
  log(`runs are written to ${folder.path} (${folder.get().source})`);
  engine.onEvent((channel, payload) => {
    if (channel === 'engine.status') log(`engine ${(payload as { state: string; message: string }).message}`);
  });
  const handle = await startServe({ host, port, root: RENDERER_ROOT, engine, log });
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    log(`warning: listening on ${host}, reachable from other machines; anyone with the URL (and its token) can drive the engine`);
  }
  // The URL line is the contract with `npm start` and the tests: keep its form.
  process.stdout.write(`Trainbench is serving at ${handle.url}\n`);
  engine.start().then(
    (info) => log(`engine on ${info.backend} (tfjs ${info.tfjsVersion})\n${describeBackends(info)}`),
    (error: unknown) => log(`engine failed to start: ${String(error)}`),
  );
  const shutdown = (): void => {
    engine.dispose();
    void handle.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function info(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { backend: { value: true } });
  const engine = createHost(backendFlag(args), (line) => void process.stderr.write(`${line}\n`));
  try {
    const result = await engine.start();
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    engine.dispose();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const usage = command === undefined ? null : commandUsage(command);
  if (usage !== null && rest.some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  switch (command) {
    case 'serve':
      await serve(rest);
      return -1; // keeps running
    case 'train':
      return runTrainCommand(rest, (args) => createHost(backendFlag(args), (line) => void process.stderr.write(`${line}\n`)));
    case 'compare':
      return runCompareCommand(rest, (args) => createHost(backendFlag(args), (line) => void process.stderr.write(`${line}\n`)));
    case 'info':
      await info(rest);
      return 0;
    case 'gradcheck':
      // A check of a large CNN on a busy machine can outlast the usual two-minute answer time.
      return runGradcheckCommand(rest, (args) => new EngineHost(nodeSpawner(ENGINE_PATH), { backend: backendFlag(args), log: (line) => void process.stderr.write(`${line}\n`), requestTimeoutMs: 30 * 60_000 }));
    case 'export':
      return runExportCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) exitAfterOutput(code);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`trainbench: ${error.message}\n\n${USAGE}\n`);
      exitAfterOutput(2);
      return;
    }
    process.stderr.write(`trainbench: ${error instanceof Error ? error.message : String(error)}\n`);
    exitAfterOutput(1);
  },
);
