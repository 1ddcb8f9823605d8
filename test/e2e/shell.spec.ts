import { test, expect } from '@playwright/test';
import os from 'node:os';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;

test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve.stop();
});

test('the page shows the engine backend and navigates between screens', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(serve.url);
  await expect(page.getByTestId('engine-backend')).toContainText('wasm');
  await expect(page.getByTestId('engine-state')).toHaveText('ready');
  // The heavy kernels split across one thread per core, at most four (batchSplit.ts).
  const threads = Math.min(os.availableParallelism(), 4);
  await expect(page.getByTestId('engine-threads')).toHaveText(threads === 1 ? '1 thread' : `${threads} threads`);
  // The token leaves the address bar once read.
  expect(page.url()).not.toContain('token=');
  for (const name of ['Data', 'Model', 'Runs', 'Train']) {
    await page.getByRole('link', { name }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  }
  await page.keyboard.press('Alt+2');
  await expect(page.getByRole('heading', { level: 1, name: 'Model' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('the Train screen trains the xor preset and its chart receives the loss live', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption('xor');
  await page.getByLabel('Epochs').fill('400');
  await page.getByTestId('start').click();
  const chart = page.getByTestId('loss-chart');
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(10);
  await expect(page.getByTestId('job-status')).toHaveText('done', { timeout: 60_000 });
  await expect(chart).toHaveAttribute('data-points', '400');
  const loss = Number((await page.getByTestId('last-loss').textContent())?.replace('loss ', ''));
  expect(loss).toBeLessThan(0.2);
  await expect(page.getByTestId('accuracy')).toContainText('%');
  await expect(page.getByTestId('final')).toContainText('success');
  await page.screenshot({ path: test.info().outputPath('train-screen.png') });
});

test('pause holds the curve and resume continues it', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption('xor');
  await page.getByLabel('Epochs').fill('100000');
  await page.getByTestId('start').click();
  const chart = page.getByTestId('loss-chart');
  await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThan(5);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('job-status')).toHaveText('paused');
  const held = Number(await chart.getAttribute('data-points'));
  await page.waitForTimeout(500);
  expect(Number(await chart.getAttribute('data-points'))).toBeLessThanOrEqual(held + 1);
  await page.getByTestId('resume').click();
  await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThan(held + 5);
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('job-status')).toHaveText('stopped');
});

test('a wrong token or a foreign origin is refused', async ({ page, request }) => {
  const wrong = await page.goto(`${serve.origin}/?token=not-the-token`);
  expect(wrong?.status()).toBe(403);
  await expect(page.locator('body')).toContainText('Forbidden');
  const none = await request.get(`${serve.origin}/`);
  expect(none.status()).toBe(403);
  const foreign = await request.get(`${serve.url}`, { headers: { Origin: 'http://evil.example' } });
  expect(foreign.status()).toBe(403);
  // A page on another origin cannot open the WebSocket, even knowing the token.
  await page.goto('about:blank');
  const outcome = await page.evaluate(
    (wsUrl) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      }),
    `${serve.origin.replace('http', 'ws')}/ws?token=${serve.token}`,
  );
  expect(outcome).toBe('refused');
});

test('a finished run is listed on the Runs screen, read back from disk', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await page.getByTestId('preset').selectOption('xor');
  await page.getByLabel('Epochs').fill('50');
  await page.getByTestId('start').click();
  await expect(page.getByTestId('job-status')).toHaveText('done', { timeout: 60_000 });
  await page.getByRole('link', { name: 'Runs' }).click();
  const table = page.getByTestId('runs-table');
  await expect(table).toContainText('xor');
  await expect(table).toContainText('done');
  await page.getByTestId('runs-filter').fill('no-such-run');
  await expect(page.getByText(/0 of \d+ runs/)).toBeVisible();
});
