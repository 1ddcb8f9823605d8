/**
 * The diagnosis on the Train screen, driven in Chromium through `serve`: one card per root
 * cause with its consequences folded under it, findings that stopped holding greyed and folded
 * "until step N", and "Try this fix", which trains the fix beside the original on the same
 * seeds on the Compare screen.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;
test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve.stop();
});

async function trainPreset(page: Page, preset: string, seed?: number): Promise<void> {
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption(preset);
  if (seed !== undefined) {
    const field = page.getByTestId('setup-seed');
    if (!(await field.isVisible())) await page.getByText('Training set-up').click();
    await field.fill(String(seed));
    await field.press('Enter');
  }
  await page.getByTestId('start').click();
  await expect(page.getByTestId('job-status')).toHaveText('running', { timeout: 30_000 });
  await expect(page.getByTestId('job-status')).toHaveText(/stopped|done/, { timeout: 90_000 });
}

test('situation 3: the unnormalised input is the root cause, the explosion and the NaN its consequences, with evidence', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(serve.url);
  await trainPreset(page, 'mnist-relu-nan');
  const panel = page.getByTestId('findings');
  for (const code of ['loss-mismatch', 'unnormalized-input']) {
    await expect(panel.locator(`[data-testid="cause-card"][data-root="${code}"]`)).toBeVisible();
  }
  // The NaN is not a card of its own: it is folded under the cause it follows from.
  await expect(panel.locator('[data-testid="cause-card"][data-root="non-finite"]')).toHaveCount(0);
  const nonFinite = panel.locator('[data-testid="finding"][data-code="non-finite"]');
  await expect(nonFinite).toBeHidden();
  const fold = panel.locator('[data-testid="consequences"]', { has: page.locator('[data-testid="finding"][data-code="non-finite"]') });
  await expect(fold.locator('summary')).toContainText('non-finite');
  await fold.locator('summary').click();
  await expect(nonFinite).toBeVisible();
  await expect(nonFinite).toContainText(/step \d+/);
  await nonFinite.getByRole('button', { name: 'evidence' }).click();
  await expect(nonFinite.locator('dl')).toBeVisible();
  // Dead units after the explosion say when they died, not that the initial weights did it.
  const dead = fold.locator('[data-testid="finding"][data-code="dead-units"]');
  if ((await dead.count()) > 0) await expect(dead.first()).not.toContainText('initial weights');
  await page.screenshot({ path: test.info().outputPath('findings.png'), fullPage: false });
  expect(errors).toEqual([]);
});

test('a plateau learning left behind is folded and greyed "until step N"; a failed relu-abs seed\'s first fix is tried on the same seeds beside the original', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(serve.url);
  // Seed 20 plateaus before its kick-in, then learns: the plateau is resolved, not a standing alarm.
  await trainPreset(page, 'relu-abs', 20);
  const panel = page.getByTestId('findings');
  const plateau = panel.locator('[data-testid="cause-card"][data-root="plateau"]');
  await expect(plateau).toHaveAttribute('data-state', 'resolved');
  await expect(plateau.locator('summary')).toContainText(/until step \d+/);
  const message = plateau.locator('[data-testid="finding"][data-code="plateau"] .message');
  await expect(message).toBeHidden();
  await plateau.locator('summary').click();
  await expect(message).toBeVisible();
  await expect(panel.getByTestId('findings-count')).toContainText('0 still holding');

  // Seed 3 fails with dead units; its first suggestion is tried on seeds 3 and 4 beside the spec as it is.
  await trainPreset(page, 'relu-abs', 3);
  const dead = panel.locator('[data-testid="cause-card"][data-root="dead-units"]');
  await expect(dead).toHaveAttribute('data-state', 'active');
  await panel.getByTestId('fix-seeds').fill('2');
  const fix = dead.getByTestId('suggestion').first();
  await expect(fix).toContainText(/units/);
  await fix.click();
  await expect(page.getByRole('heading', { level: 1, name: 'Compare' })).toBeVisible();
  await expect(page.getByTestId('compare-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const column = (letter: string) => page.locator(`[data-testid="compare-column"][data-letter="${letter}"]`);
  await expect(column('B')).toContainText('model.layers.0.units=');
  const seeds = async (letter: string): Promise<string[]> =>
    (await column(letter).locator('[data-testid="loss-dot"] title').allTextContents()).map((t) => t.split(':')[0]!);
  expect(await seeds('A')).toEqual(['seed 3', 'seed 4']);
  expect(await seeds('B')).toEqual(['seed 3', 'seed 4']);
  // Both seeds fail as they are (measured: seeds 3 and 4 are among relu-abs's 24 failures) and both learn with the fix.
  await expect(column('A').getByTestId('success-interval')).toContainText('0 of 2');
  await expect(column('B').getByTestId('success-interval')).toContainText('2 of 2');
  await page.screenshot({ path: test.info().outputPath('fix.png'), fullPage: false });
  expect(errors).toEqual([]);
});
