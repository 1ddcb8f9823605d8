/**
 * The Inspect screen in Chromium against `trainbench serve`: a relu-abs run is trained through
 * the CLI into serve's runs folder (seed 4, 60 full-batch steps, a snapshot every 5: its third
 * first-layer unit fires at steps 5 and 10 and never again from step 15 on), then opened from
 * the Runs screen. Moving the snapshot slider moves every view; the dead unit's activation
 * histogram is all zeros and the screen says when it died.
 */
import { spawnSync } from 'node:child_process';
import { test, expect, type Locator, type Page } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';
import { watchErrors } from '../support/pageErrors';
import { CLI_PATH } from '../support/engine';

let serve: ServeProcess;

test.beforeAll(async () => {
  serve = await startServeProcess();
  const trained = spawnSync(
    process.execPath,
    [CLI_PATH, 'train', 'relu-abs', '--seed', '4', '--set', 'training.epochs=60', '--set', 'monitor.snapshotEvery=5', '--set', 'monitor.probeEvery=5', '--backend', 'wasm', '--runs-dir', serve.runsDir, '--json'],
    { encoding: 'utf8', timeout: 90_000 },
  );
  if (trained.status !== 0) throw new Error(`trainbench train failed (${trained.status}):\n${trained.stderr}`);
});
test.afterAll(async () => {
  await serve.stop();
});

const attr = async (locator: Locator, name: string): Promise<string | null> => locator.getAttribute(name);

test('a saved relu-abs run: the slider moves every view, and the dead unit shows all zeros and when it died', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Runs' }).click();
  const table = page.getByTestId('runs-table');
  await expect(table.getByRole('cell', { name: 'relu-abs', exact: true })).toBeVisible();
  await table.getByRole('link', { name: 'Inspect' }).first().click();

  await expect(page.getByRole('heading', { level: 1, name: 'Inspect' })).toBeVisible();
  const slider = page.getByTestId('inspect-step');
  const stepLabel = page.getByTestId('inspect-step-label');
  // Opens at the last snapshot, on the first layer.
  await expect(stepLabel).toHaveText('step 60');
  await expect(page.getByTestId('inspect-layer')).toHaveValue('dense_1');
  const layerView = page.getByTestId('inspect-layer-view');
  await expect(layerView).toHaveAttribute('data-step', '60');
  const grid = page.getByTestId('unit-grid');
  await expect(grid).toHaveAttribute('data-dead', '1');
  await expect(page.getByTestId('inspect-plane')).toHaveAttribute('data-step', '60');

  // The slider by keyboard: Home to the first snapshot, then one to the right.
  await slider.focus();
  await slider.press('Home');
  await expect(stepLabel).toHaveText('step 5');
  await slider.press('ArrowRight');
  await expect(stepLabel).toHaveText('step 10');
  await expect(layerView).toHaveAttribute('data-step', '10');
  await expect(page.getByTestId('inspect-plane')).toHaveAttribute('data-step', '10');
  // At step 10 every unit still fires.
  await expect(grid).toHaveAttribute('data-dead', '0');

  // Back to the end, and pick the dead unit in the unit map: its cell is the third (12-px cells, 2-px gaps).
  await slider.press('End');
  await expect(stepLabel).toHaveText('step 60');
  await expect(grid).toHaveAttribute('data-dead', '1');
  await grid.click({ position: { x: 2 * 14 + 6, y: 6 } });
  const unitView = page.getByTestId('inspect-unit-view');
  await expect(unitView).toHaveAttribute('data-unit', '2');
  await expect(unitView).toHaveAttribute('data-step', '60');
  const activation = page.getByTestId('unit-activation');
  await expect(activation).toHaveAttribute('data-total', '1000');
  expect(await attr(activation, 'data-zeros')).toBe('1000');
  await expect(unitView).toContainText('all 1000 values are 0');
  const died = page.getByTestId('unit-died');
  await expect(died).toHaveAttribute('data-died-at', '15');
  await expect(died).toContainText('never fires on any sample from step 15 on');
  await expect(died).toContainText('last fired at step 10');
  await expect(page.getByTestId('unit-history')).toHaveAttribute('data-points', '12');

  // The same unit at step 10, when it still fired: not all zeros any more.
  await slider.focus();
  await slider.press('Home');
  await slider.press('ArrowRight');
  await expect(unitView).toHaveAttribute('data-step', '10');
  await expect.poll(async () => Number(await attr(activation, 'data-zeros'))).toBeLessThan(1000);
  // The app scrolls inside its main area: make the viewport as tall as the screen for the picture.
  const height = await page.evaluate(() => (document.querySelector('.screen')?.scrollHeight ?? 800) + 90);
  await page.setViewportSize({ width: 1400, height: Math.min(5000, height) });
  await page.waitForTimeout(300);
  await page.screenshot({ path: test.info().outputPath('inspect.png') });
  expect(errors).toEqual([]);
});
