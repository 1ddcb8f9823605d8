/** Starts the engine as a plain Node child process (serve and CLI modes). */
import { fork } from 'node:child_process';
import type { EngineProcess, Spawner } from './engineHost';

/**
 * @param enginePath the built engine entry (out/main/engine.js)
 * @param execArgv extra Node flags, e.g. a memory limit
 */
export function nodeSpawner(enginePath: string, execArgv: string[] = []): Spawner {
  return (args) => {
    // 'advanced' serialisation lets typed arrays (weights, snapshots) cross as binary.
    const child = fork(enginePath, args, { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    let exited = false;
    const process: EngineProcess = {
      get pid() {
        return child.pid ?? null;
      },
      send: (message) => {
        if (!exited && child.connected) child.send(message as object);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) =>
        child.once('exit', (code, signal) => {
          exited = true;
          listener(code, signal);
        }),
      kill: () => {
        if (!exited) child.kill('SIGKILL');
      },
    };
    child.on('error', () => undefined); // reported through 'exit'
    return process;
  };
}
