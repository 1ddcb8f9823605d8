import { test, expect } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;
test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve.stop();
});

test('the Gradient check button checks the current spec and shows the per-layer table', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption('xor');
  const panel = page.getByTestId('gradcheck');
  await panel.getByTestId('gradcheck-run').click();
  const table = panel.getByTestId('gradcheck-table');
  await expect(table).toBeVisible({ timeout: 60_000 });
  // xor is 2 → 4 tanh → 1 sigmoid: two dense layers, both checked and passing.
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tr[data-layer="dense_1"]')).toContainText('dense');
  await expect(panel.getByTestId('gradcheck-result')).toHaveText(['pass', 'pass']);
  await expect(panel.getByTestId('gradcheck-verdict')).toContainText('passed');
  await expect(panel.getByTestId('gradcheck-finding')).toHaveCount(0);
  await expect(panel.getByTestId('gradcheck-run')).toBeEnabled();
  expect(errors).toEqual([]);
});
