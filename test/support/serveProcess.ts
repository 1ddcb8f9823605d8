import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from './engine';

export interface ServeProcess {
  runsDir: string;
  url: string;
  origin: string;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `trainbench serve` as a user would, and reads the URL it prints. */
export function startServeProcess(args: string[] = []): Promise<ServeProcess> {
  // Runs of the tests go to a temporary folder, never the user's own runs.
  const runsDir = mkdtempSync(join(tmpdir(), 'trainbench-e2e-runs-'));
  const child = spawn(process.execPath, [CLI_PATH, 'serve', '--port', '0', '--backend', 'wasm', '--runs-dir', runsDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 20 s; stderr:\n${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}; stderr:\n${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Trainbench is serving at (http:\/\/\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      const url = match[1]!;
      const parsed = new URL(url);
      resolve({
        runsDir,
        url,
        origin: parsed.origin,
        token: parsed.searchParams.get('token') ?? '',
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
