import { test, expect } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;
test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve.stop();
});

test('situation 3 is named on the Train screen, with evidence, and a suggestion trains the fix on the same seed', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption('mnist-relu-nan');
  await page.getByTestId('start').click();
  const panel = page.getByTestId('findings');
  for (const code of ['loss-mismatch', 'unnormalized-input', 'non-finite']) {
    await expect(panel.locator(`[data-code="${code}"]`)).toBeVisible({ timeout: 60_000 });
  }
  await expect(page.getByTestId('job-status')).toHaveText(/stopped|done/, { timeout: 60_000 });
  const nonFinite = panel.locator('[data-code="non-finite"]');
  await expect(nonFinite).toContainText(/step \d+/);
  await nonFinite.getByRole('button', { name: 'evidence' }).click();
  await expect(nonFinite.locator('dl')).toBeVisible();
  // One click: the fix is applied to a copy of the spec and trained on the same seed.
  const fix = panel.locator('[data-code="unnormalized-input"]').getByTestId('suggestion').first();
  await expect(fix).toBeEnabled();
  await fix.click();
  await expect(page.getByTestId('job-status')).toHaveText('running', { timeout: 30_000 });
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('job-status')).toHaveText(/stopped|done/, { timeout: 60_000 });
  await page.screenshot({ path: test.info().outputPath('findings.png'), fullPage: false });
  expect(errors).toEqual([]);
});
