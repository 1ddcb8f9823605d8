/**
 * Entry of the engine process. Started by the host (Electron main via utilityProcess, or the
 * serve/CLI host via fork) with `--backend NAME` optionally. Never imports electron.
 */
import { BackendName, type EventChannel, type EventOf } from '@contract';
import { connectTransport } from './transport';
import { dispatch } from './dispatcher';
import { createEngine } from './engine';
import { DatasetRegistry } from './datasetRegistry';
import { exitWhenHostDies } from './hostWatch';
import { sweepStaleTempDirs } from './tempDirs';

function argValue(flag: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const transport = connectTransport();
  exitWhenHostDies(transport.kind);
  const emit = <C extends EventChannel>(channel: C, payload: EventOf<C>): void =>
    transport.send({ type: 'event', channel, payload });

  // Requests that arrive while the backend initialises wait for it.
  const pending: unknown[] = [];
  let handle: ((raw: unknown) => void) | null = null;
  transport.onMessage((raw) => (handle ? handle(raw) : pending.push(raw)));

  const forced = argValue('--backend');
  const backend = forced === undefined ? undefined : BackendName.parse(forced);
  // Folders left by engines that were killed (a signal, a crash) go before this one makes its own.
  sweepStaleTempDirs();
  const datasets = new DatasetRegistry((progress) => emit('dataset.progress', progress));
  process.on('exit', () => datasets.dispose());
  const engine = await createEngine({ backend, utilityProcess: transport.kind === 'utility', datasets }, emit);
  handle = (raw) => {
    void dispatch(engine.handlers, raw).then((response) => {
      if (response) transport.send(response);
    });
  };
  for (const raw of pending.splice(0)) handle(raw);
}

main().catch((error: unknown) => {
  process.stderr.write(`trainbench engine failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(70);
});
