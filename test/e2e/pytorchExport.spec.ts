import { test, expect } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors } from '../../src-main/engine/runs/safetensors';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;
const ID = '20260103T000000Z-xor-s2';

/** A finished run with its final snapshot, made by hand as the engine writes one. */
function writeRun(runsDir: string): void {
  const dir = join(runsDir, ID);
  mkdirSync(join(dir, 'snapshots'), { recursive: true });
  const spec = { version: 1, name: 'xor', dataset: { kind: 'builtin', name: 'xor', size: 64 }, model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }] }, training: { seed: 2, epochs: 3 } };
  const record = { id: ID, name: 'xor', spec, seed: 2, backend: 'wasm', versions: {}, status: 'done', startedAt: '2026-01-03T00:00:00.000Z', endedAt: '2026-01-03T00:00:01.000Z', job: null, final: null, error: null };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(record));
  const snapshot = encodeSafetensors(
    [
      { name: 'dense_1/kernel', shape: [2, 2], data: new Float32Array([0.5, -0.5, 0.25, 1]) },
      { name: 'dense_1/bias', shape: [2], data: new Float32Array([0.1, -0.1]) },
    ],
    { step: '6', epoch: '2' },
  );
  writeFileSync(join(dir, 'snapshots', 'step-00000006.safetensors'), snapshot);
}

test.beforeAll(async () => {
  process.env['TRAINBENCH_SETTINGS_FILE'] = join(mkdtempSync(join(tmpdir(), 'tb-e2e-settings-')), 'settings.json');
  serve = await startServeProcess();
  writeRun(serve.runsDir);
});
test.afterAll(async () => {
  await serve.stop();
});

test('the Runs screen exports a run as a PyTorch script: a tar to save, and the folder beside the run', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Runs' }).click();
  const run = page.locator(`tr[data-run-id="${ID}"]`);
  await run.getByTestId('export').click();
  const [tar] = await Promise.all([page.waitForEvent('download'), run.getByTestId('export-pytorch').click()]);
  expect(tar.suggestedFilename()).toBe(`${ID}-pytorch.tar`);
  const bytes = readFileSync((await tar.path())!);
  // ustar names at the start of each 512-byte header.
  expect(bytes.subarray(0, 100).toString('latin1')).toContain(`${ID}-pytorch/train.py`);
  const folder = join(serve.runsDir, ID, 'pytorch');
  await expect(page.getByTestId('runs-notice')).toContainText(`the script is also in ${folder}`);
  for (const name of ['train.py', 'data.npz', 'weights.npz']) expect(existsSync(join(folder, name)), name).toBe(true);
  expect(readFileSync(join(folder, 'train.py'), 'utf8')).toContain('self.dense_1 = nn.Linear(2, 2, bias=True)');
});

test('the Model screen exports the spec being edited as a PyTorch script, and names what it refuses', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Model' }).click();
  await page.getByTestId('use-preset-xor').click();
  const button = page.getByTestId('export-pytorch');
  const [tar] = await Promise.all([page.waitForEvent('download'), button.click()]);
  expect(tar.suggestedFilename()).toBe('xor-pytorch.tar');
  const bytes = readFileSync((await tar.path())!);
  expect(bytes.subarray(0, 100).toString('latin1')).toContain('xor-pytorch/train.py');
  // train.py's text follows its 512-byte header: the network as the Model screen shows it.
  expect(bytes.toString('latin1')).toContain("the Model screen's spec \"xor\"");
  await expect(page.getByTestId('export-result')).toContainText('Exported xor-pytorch.tar');

  // A spec PyTorch cannot train the same way: the refusal names the option, and the spec stays.
  const spec = { version: 1, name: 'xor-rmsprop', dataset: { kind: 'builtin', name: 'xor' }, model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }] }, training: { optimizer: { type: 'rmsprop' } } };
  await page.getByTestId('open-file').setInputFiles({ name: 'xor-rmsprop.trainbench.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(spec)) });
  await expect(page.getByTestId('spec-name')).toHaveValue('xor-rmsprop');
  let downloads = 0;
  page.on('download', () => downloads++);
  await button.click();
  const refusal = page.getByTestId('export-result');
  await expect(refusal).toHaveAttribute('role', 'alert');
  await expect(refusal).toContainText('training.optimizer "rmsprop"');
  await expect(page.getByTestId('spec-name')).toHaveValue('xor-rmsprop');
  expect(downloads).toBe(0);
});
