import { test, expect, type Page } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;

/** A run folder as the engine writes it (run.json, metrics.jsonl, findings.jsonl), made by hand. */
function writeRun(runsDir: string, id: string, name: string, startedAt: string, valAccuracy: number, findings: number): void {
  const dir = join(runsDir, id);
  mkdirSync(join(dir, 'snapshots'), { recursive: true });
  const spec = { version: 1, name, dataset: { kind: 'builtin', name: 'xor' }, model: { layers: [{ type: 'dense', units: 1 }] }, training: { seed: 3 } };
  const record = { id, name, spec, seed: 3, backend: 'wasm', versions: {}, status: 'done', startedAt, endedAt: startedAt, job: null, final: null, error: null };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(record));
  const epochs = [0, 1].map((epoch) => JSON.stringify({ type: 'epoch', epoch, step: epoch + 1, loss: 0.5 - epoch / 10, accuracy: null, valLoss: null, valAccuracy: valAccuracy - (1 - epoch) / 10, time: 1 }));
  writeFileSync(join(dir, 'metrics.jsonl'), `${epochs.join('\n')}\n`);
  const finding = { change: 'new', code: 'dead-units', severity: 'warning', step: 1, epoch: 0, layer: 'dense_1', evidence: {}, message: 'a unit never fires', suggestions: [] };
  writeFileSync(join(dir, 'findings.jsonl'), Array.from({ length: findings }, () => `${JSON.stringify(finding)}\n`).join(''));
}

test.beforeAll(async () => {
  // runs.folder saves a setting: keep it in a temporary file, never the user's own.
  process.env['TRAINBENCH_SETTINGS_FILE'] = join(mkdtempSync(join(tmpdir(), 'tb-e2e-settings-')), 'settings.json');
  serve = await startServeProcess();
  writeRun(serve.runsDir, '20260101T000000Z-alpha-s3', 'alpha', '2026-01-01T00:00:00.000Z', 0.9, 2);
  writeRun(serve.runsDir, '20260102T000000Z-beta-s3', 'beta', '2026-01-02T00:00:00.000Z', 0.7, 0);
});
test.afterAll(async () => {
  await serve.stop();
});

const row = (page: Page, id: string) => page.locator(`tr[data-run-id="${id}"]`);

test('the Runs screen renames, tags and filters, sorts, exports and deletes after confirmation', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Runs' }).click();
  const table = page.getByTestId('runs-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  const alpha = row(page, '20260101T000000Z-alpha-s3');
  await expect(alpha.getByTestId('run-best')).toHaveText('val acc 90.0 %');

  // Sorting by best metric: highest first, then lowest first.
  await page.getByTestId('sort-best').click();
  await expect(table.locator('tbody tr').first()).toHaveAttribute('data-run-id', '20260101T000000Z-alpha-s3');
  await page.getByTestId('sort-best').click();
  await expect(table.locator('tbody tr').first()).toHaveAttribute('data-run-id', '20260102T000000Z-beta-s3');

  // Inline rename: Escape cancels, Enter saves, and run.json keeps it.
  await alpha.getByTestId('rename').click();
  await alpha.getByTestId('rename-input').fill('discarded');
  await alpha.getByTestId('rename-input').press('Escape');
  await expect(alpha.getByTestId('run-name')).toHaveText('alpha');
  await expect(alpha.getByTestId('rename')).toBeFocused();
  await page.keyboard.press('Enter');
  await alpha.getByTestId('rename-input').fill('alpha, second look');
  await alpha.getByTestId('rename-input').press('Enter');
  await expect(alpha.getByTestId('run-name')).toHaveText('alpha, second look');
  const onDisk = JSON.parse(readFileSync(join(serve.runsDir, '20260101T000000Z-alpha-s3', 'run.json'), 'utf8')) as { name: string; spec: { name: string } };
  expect(onDisk).toMatchObject({ name: 'alpha, second look', spec: { name: 'alpha' } });

  // Tags, and the tag filter.
  await alpha.getByTestId('tag-input').fill('keeper');
  await alpha.getByTestId('tag-input').press('Enter');
  await expect(alpha.getByTestId('tag')).toHaveText(['keeper×']);
  await page.getByTestId('runs-tag-filter').selectOption('keeper');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(page.getByText('1 of 2 runs')).toBeVisible();
  await page.getByTestId('runs-tag-filter').selectOption('');
  await expect(table.locator('tbody tr')).toHaveCount(2);

  // Export: metrics as CSV, findings as Markdown, through the export menu.
  await alpha.getByTestId('export').click();
  const [csv] = await Promise.all([page.waitForEvent('download'), alpha.getByTestId('export-metrics-csv').click()]);
  expect(csv.suggestedFilename()).toBe('20260101T000000Z-alpha-s3-metrics.csv');
  const csvText = readFileSync((await csv.path())!, 'utf8');
  expect(csvText.split('\n')[0]).toBe('type,epoch,step,loss,accuracy,valLoss,valAccuracy,time');
  expect(csvText.split('\n')).toHaveLength(4);
  await alpha.getByTestId('export').click();
  await expect(alpha.getByTestId('export-model')).toBeDisabled();
  const [md] = await Promise.all([page.waitForEvent('download'), alpha.getByTestId('export-findings-md').click()]);
  expect(readFileSync((await md.path())!, 'utf8')).toContain('## warning: dead-units in dense_1');

  // Reveal in serve: the path, to copy.
  await alpha.getByTestId('reveal').click();
  await expect(page.getByTestId('revealed-path')).toHaveText(join(serve.runsDir, '20260101T000000Z-alpha-s3'));

  // Delete: Cancel keeps the run; Delete moves it to the runs folder's .trash.
  const beta = row(page, '20260102T000000Z-beta-s3');
  await beta.getByTestId('delete').click();
  await expect(page.getByTestId('confirm-delete')).toBeVisible();
  await expect(page.getByTestId('confirm-cancel')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('confirm-delete')).toBeHidden();
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await beta.getByTestId('delete').click();
  await page.getByTestId('confirm-ok').click();
  await expect(table.locator('tbody tr')).toHaveCount(1);
  expect(existsSync(join(serve.runsDir, '.trash', '20260102T000000Z-beta-s3', 'run.json'))).toBe(true);
  expect(existsSync(join(serve.runsDir, '20260102T000000Z-beta-s3'))).toBe(false);
  expect(errors).toEqual([]);
});

test('a monitor chart saves as a PNG image', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption('xor');
  await page.getByLabel('Epochs').fill('5');
  await page.getByTestId('start').click();
  await expect(page.getByTestId('job-status')).toHaveText('done', { timeout: 60_000 });
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Loss as PNG' }).click()]);
  expect(png.suggestedFilename()).toBe('loss.png');
  const bytes = readFileSync((await png.path())!);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // The chart's canvas size, read from the PNG's IHDR: the image is the chart, not an empty 0×0.
  expect(bytes.readUInt32BE(16)).toBeGreaterThan(100);
  expect(bytes.readUInt32BE(20)).toBeGreaterThan(100);
});

test('the runs folder can be changed from the Runs screen', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Runs' }).click();
  await expect(page.getByTestId('runs-folder-path')).toHaveText(serve.runsDir);
  const elsewhere = mkdtempSync(join(tmpdir(), 'tb-e2e-elsewhere-'));
  writeRun(elsewhere, '20260103T000000Z-gamma-s3', 'gamma', '2026-01-03T00:00:00.000Z', 0.5, 1);
  await page.getByTestId('runs-folder').locator('summary').click();
  await page.getByTestId('runs-folder-input').fill(elsewhere);
  await page.getByTestId('runs-folder-save').click();
  await expect(page.getByTestId('runs-folder-path')).toHaveText(elsewhere);
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('runs-table')).toContainText('gamma');
  const saved = JSON.parse(readFileSync(process.env['TRAINBENCH_SETTINGS_FILE']!, 'utf8')) as { runsDir: string };
  expect(saved.runsDir).toBe(elsewhere);
});
