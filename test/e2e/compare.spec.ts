/**
 * Repeated trials in the UI, against `trainbench serve` in Chromium: the Compare screen trains
 * two specs on the same seeds and puts their statistics side by side, and a finding appears
 * as a marker on the Train screen's loss curve at its step.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';
import { watchErrors } from '../support/pageErrors';

let serve: ServeProcess;
test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve.stop();
});

test('Compare: relu-abs with ReLU and with ELU on the same two seeds, side by side', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(serve.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Train' })).toBeVisible();
  // Reachable from anywhere with Alt+5, like the other screens.
  await page.keyboard.press('Alt+5');
  await expect(page.getByRole('heading', { level: 1, name: 'Compare' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Compare' })).toHaveAttribute('title', /Alt\+5/);

  await page.getByTestId('compare-source-A').selectOption('relu-abs');
  await page.getByTestId('compare-source-B').selectOption('relu-abs');
  await page.getByTestId('compare-changes-A').fill('');
  await page.getByTestId('compare-changes-B').fill('model.layers.0.activation=elu');
  await page.getByTestId('compare-shared').fill('training.epochs=30');
  await page.getByTestId('compare-seeds').fill('2');
  await page.getByTestId('compare-seeds').dispatchEvent('change');
  await page.getByTestId('compare-first-seed').fill('7');
  await page.getByTestId('compare-first-seed').dispatchEvent('change');

  // A change that names no field is refused, naming the spec and the line.
  await page.getByTestId('compare-changes-A').fill('model.layers.0.activation');
  await page.getByTestId('compare-start').click();
  await expect(page.getByTestId('compare-error')).toContainText('spec A: "model.layers.0.activation" is not path=value');
  await page.getByTestId('compare-changes-A').fill('');

  await page.getByTestId('compare-start').click();
  await expect(page.getByTestId('compare-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });

  const columns = page.getByTestId('compare-column');
  await expect(columns).toHaveCount(2);
  await expect(columns.nth(0)).toContainText('relu-abs');
  await expect(columns.nth(1)).toContainText('relu-abs model.layers.0.activation=elu');
  for (const letter of ['A', 'B']) {
    const column = page.locator(`[data-testid="compare-column"][data-letter="${letter}"]`);
    // Two seeds judged (30 epochs: both fail loss < 0.01), with the interval of 0 of 2.
    const rate = column.getByTestId('success-interval');
    await expect(rate).toHaveAttribute('data-judged', '2');
    await expect(rate).toContainText('95 % interval 0–66 %');
    await expect(column.getByTestId('loss-distribution')).toHaveAttribute('data-n', '2');
    await expect(column.getByTestId('loss-dot')).toHaveCount(2);
    // The seeds' curves overlaid: one run per seed, 30 steps each (full batch).
    const chart = column.getByTestId(`compare-loss-${letter}`);
    await expect(chart).toHaveAttribute('data-runs', '2');
  }
  // The same seeds in both columns, and different specs give different final losses.
  const titles = async (letter: string): Promise<string[]> => page.locator(`[data-testid="compare-column"][data-letter="${letter}"] [data-testid="loss-dot"] title`).allTextContents();
  const a = await titles('A');
  const b = await titles('B');
  expect(a.map((t) => t.split(':')[0])).toEqual(['seed 7', 'seed 8']);
  expect(b.map((t) => t.split(':')[0])).toEqual(['seed 7', 'seed 8']);
  expect(a).not.toEqual(b);
  await page.screenshot({ path: test.info().outputPath('compare.png') });
  expect(errors).toEqual([]);
});

test('Train: two seeds that stop on NaN both run; the finding is a marker on the loss curve at its step', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption('mnist-relu-nan');
  const repeat = page.getByTestId('setup-repeat');
  if (!(await repeat.isVisible())) await page.getByText('Training set-up').click();
  await repeat.fill('2');
  await repeat.press('Enter');
  await page.getByTestId('start').click();
  // The first seed stops on NaN; the second still trains, and the seeds panel counts both.
  const seeds = page.getByTestId('repeated-runs');
  await expect(seeds).toContainText('2 of 2 seeds ended', { timeout: 90_000 });
  await expect(seeds.getByTestId('loss-distribution')).toHaveAttribute('data-nonfinite', '2');
  await expect(seeds.getByTestId('success-interval')).toHaveAttribute('data-judged', '0');
  // The NaN is a consequence, folded under its cause's card: open the fold.
  const finding = page.getByTestId('findings').locator('[data-testid="finding"][data-code="non-finite"]');
  await page.getByTestId('findings').locator('[data-testid="consequences"]', { has: page.locator('[data-testid="finding"][data-code="non-finite"]') }).locator('summary').click();
  await expect(finding).toBeVisible();
  await expect(page.getByTestId('job-status')).toHaveText('stopped');
  const step = Number(/step (\d+)/.exec((await finding.textContent()) ?? '')?.[1]);
  expect(step).toBeGreaterThan(0);

  const panel = page.getByTestId('metrics-panel');
  // Charts draw (and place their markers) only on screen; the findings above push this one down.
  await panel.scrollIntoViewIfNeeded();
  const marker = panel.locator('[data-testid="chart-marker"][data-marker^="non-finite|"]');
  await expect(marker).toBeVisible();
  await expect(marker).toHaveAttribute('title', new RegExp(`^non-finite.* at step ${step}: `));
  // At the finding's step: the marker sits right of the static checks' markers at step 0.
  const mismatch = panel.locator('[data-testid="chart-marker"][data-marker^="loss-mismatch|"]');
  await expect(mismatch).toBeVisible();
  const x = async (locator: typeof marker): Promise<number> => (await locator.boundingBox())!.x;
  expect(await x(marker)).toBeGreaterThan(await x(mismatch));

  await marker.click();
  await page.screenshot({ path: test.info().outputPath('marker.png'), fullPage: true });
  const shown = page.getByTestId('marker-finding');
  await expect(shown).toHaveAttribute('data-code', 'non-finite');
  await expect(shown).toContainText(`step ${step}`);
  await marker.click();
  await expect(shown).toHaveCount(0);
  expect(errors).toEqual([]);
});
