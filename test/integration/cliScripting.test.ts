/**
 * The CLI in scripts (issue 17): a --json document must arrive whole through a real pipe even
 * when the reader is slower than the writer (it was cut at 65,536 bytes: the process exited
 * before stdout drained), and COMMAND --help prints that command's usage and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../support/engine';

const runsDir = mkdtempSync(join(tmpdir(), 'tb-pipe-'));
afterAll(() => rmSync(runsDir, { recursive: true, force: true }));

/**
 * Runs the CLI with stdout on a pipe that nobody reads until the runs are over (stderr says
 * "final loss:"): the document is then written into a full pipe, as to a slow `python3 -c`.
 */
function throughSlowPipe(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('final loss:')) setTimeout(() => child.stdout.resume(), 500);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

describe('trainbench --json through a pipe', () => {
  it('a 40-seed relu-abs run arrives whole and parses', async () => {
    const { code, stdout, stderr } = await throughSlowPipe(['train', 'relu-abs', '--repeat', '40', '--json', '--runs-dir', runsDir, '--backend', 'wasm']);
    expect(code, stderr).toBe(0);
    // Far past the 64 KiB a pipe holds: the truncation this guards against.
    expect(stdout.length).toBeGreaterThan(256 * 1024);
    const doc = JSON.parse(stdout.toString('utf8')) as { runs: unknown[]; summary: { repeat: number } };
    expect(doc.runs).toHaveLength(40);
    expect(doc.summary.repeat).toBe(40);
  }, 600_000);
});

describe('trainbench COMMAND --help', () => {
  it.each(['serve', 'train', 'compare', 'info', 'gradcheck'])('%s --help and -h print its usage on stdout and exit 0', (command) => {
    for (const flag of ['--help', '-h']) {
      const r = spawnSync(process.execPath, [CLI_PATH, command, flag], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage:\\n  trainbench ${command}( |\\n)`));
      expect(r.stderr).toBe('');
    }
  });

  it('an unknown option is still a usage error (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'train', 'xor', '--bogus'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --bogus/);
  });
});
