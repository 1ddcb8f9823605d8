/**
 * The live monitor, driven from the UI in Chromium against `trainbench serve`: every panel
 * receives data while relu-abs and the bundled-MNIST MLP train, pause holds the curve and
 * resume continues it, stop leaves a finished run, and eight seeds overlay in one chart.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, type Locator, type Page } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';
import { watchErrors } from '../support/pageErrors';

let serve: ServeProcess;

// Each test trains for real on wasm: on a 2-core machine shared with other jobs, relu-abs's 1500
// steps took 35 s and the MNIST epoch 30-60 s of a test's 1.5-2.2 min; the default 2 min is too tight.
test.describe.configure({ timeout: 240_000 });

test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve.stop();
});

async function openTrain(page: Page): Promise<void> {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Train' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Train' })).toBeVisible();
}

/** Picks a preset and sets epochs (and the repeat count) in the training set-up. */
async function setUp(page: Page, preset: string, options: { epochs: number; repeat?: number }): Promise<void> {
  await page.getByTestId('preset').selectOption(preset);
  const epochs = page.getByTestId('setup-epochs');
  if (!(await epochs.isVisible())) await page.getByText('Training set-up').click();
  await epochs.fill(String(options.epochs));
  await epochs.press('Enter');
  const repeat = page.getByTestId('setup-repeat');
  await repeat.fill(String(options.repeat ?? 1));
  await repeat.press('Enter');
  await expect(epochs).toHaveValue(String(options.epochs));
}

/**
 * A screenshot of the whole Train screen: the app scrolls inside its main area, so the
 * viewport is made as tall as the screen's content first.
 */
async function shoot(page: Page, name: string): Promise<void> {
  const height = await page.evaluate(() => (document.querySelector('.screen')?.scrollHeight ?? 800) + 90);
  await page.setViewportSize({ width: 1400, height: Math.min(5000, height) });
  // Charts resize on the next frames.
  await page.waitForTimeout(400);
  const path = test.info().outputPath(name);
  await page.screenshot({ path });
  await test.info().attach(name, { path, contentType: 'image/png' });
}

/** The four kinds of histogram of one layer received data: `counts` are the elements each binned. */
async function expectHistograms(page: Page, layer: string, counts: { weight: number; bias: number; gradient: number; activation: number }): Promise<void> {
  await inView(page.getByTestId(`hist-${layer}-activation`));
  for (const [kind, n] of Object.entries(counts)) {
    await expect.poll(() => count(page.getByTestId(`hist-${layer}-${kind}`), 'data-count'), { message: `${layer} ${kind}` }).toBe(n);
  }
}

const count = async (locator: Locator, name = 'data-points'): Promise<number> => Number((await locator.getAttribute(name)) ?? 'NaN');

/** Panels off screen skip their drawing: bring one into view before reading what it drew. */
async function inView(locator: Locator): Promise<Locator> {
  await locator.scrollIntoViewIfNeeded();
  return locator;
}

test('relu-abs: every panel receives data, and the input plane shows three hinge lines', async ({ page }) => {
  const errors = watchErrors(page);
  await openTrain(page);
  await setUp(page, 'relu-abs', { epochs: 1500 });
  await page.getByTestId('start').click();

  const loss = page.getByTestId('loss-chart');
  await expect.poll(() => count(loss), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('job-status')).toHaveText('done', { timeout: 90_000 });
  await expect.poll(() => count(loss)).toBe(1500);
  // The per-step curves: raw and smoothed for the one run.
  await inView(loss);
  await expect.poll(() => count(loss, 'data-lines')).toBe(2);

  // Per layer over time: two dense layers (and all layers together for the gradient norm).
  await expect.poll(() => count(page.getByTestId('layer-grad-chart'))).toBe(1500);
  await inView(page.getByTestId('layer-units-chart'));
  await expect.poll(() => count(page.getByTestId('layer-grad-chart'), 'data-lines')).toBe(3);
  await expect.poll(() => count(page.getByTestId('layer-weight-chart'), 'data-lines')).toBe(2);
  await expect.poll(() => count(page.getByTestId('layer-ratio-chart'), 'data-lines')).toBe(2);
  // Probes every 25 steps, every one of them (several can share an update): the dead-unit
  // fraction of the ReLU layer at steps 25, 50, …, 1500.
  await expect.poll(() => count(page.getByTestId('layer-units-chart'))).toBe(60);
  await expect.poll(() => count(page.getByTestId('layer-units-chart'), 'data-lines')).toBe(1);

  // The unit map: three ReLUs and one linear output.
  const grids = page.getByTestId('unit-grid');
  await expect(grids).toHaveCount(2);
  await inView(grids.first());
  await expect(grids.first()).toHaveAttribute('data-units', '3');
  await grids.first().click({ position: { x: 5, y: 5 } });
  await expect(page.getByTestId('unit-details')).toContainText('unit 0');
  await inView(page.getByTestId('unit-activity-chart'));
  await expect.poll(() => count(page.getByTestId('unit-activity-chart'))).toBeGreaterThan(10);
  await expect.poll(() => count(page.getByTestId('unit-activity-chart'), 'data-lines')).toBe(2);

  // The input plane: the output map and each ReLU's surface.
  await expect(page.getByTestId('input-plane')).toHaveAttribute('data-units', '3');
  await expect(page.getByTestId('output-surface')).toBeVisible();
  for (const unit of [0, 1, 2]) await expect(page.getByTestId(`unit-surface-${unit}`)).toBeVisible();

  // Histograms from the engine: at the start, every 100 steps (the snapshot interval) and
  // every 2 s. Weights, biases, the weights' gradients and the output on the 1000-sample probe.
  const histograms = page.getByTestId('histograms');
  await expect.poll(() => count(histograms, 'data-sets')).toBeGreaterThanOrEqual(16);
  await expect(page.getByTestId('histograms-step')).toContainText('step 1500');
  await expectHistograms(page, 'dense_1', { weight: 6, bias: 3, gradient: 6, activation: 3000 });
  await expectHistograms(page, 'dense_2', { weight: 3, bias: 1, gradient: 3, activation: 1000 });
  await expect(page.getByTestId('histogram-compare')).toContainText('step 0 (faint)');
  await page.getByTestId('histogram-slider').fill('3');
  await expect(page.getByTestId('histogram-compare')).toContainText(/step [1-9]\d* \(faint\)/);

  // Speed, progress and backend.
  await expect(page.getByTestId('throughput')).toHaveText(/\d/);
  await expect(page.getByTestId('step-time')).toHaveText(/\d+(\.\d+)? ms/);
  await expect(page.getByTestId('run-backend')).toHaveText('wasm');
  // A 2-3-1 network is too small to split its batch across threads; the tooltip says so.
  await expect(page.getByTestId('run-backend')).toHaveAttribute('title', /^Each step runs on one thread: a step is too small/);
  await expect(page.getByTestId('memory')).toHaveText(/^\d[\d,]* tensors · [\d.]+ (B|KiB|MiB) · RSS [\d.]+ (MiB|GiB)$/);
  await expect(page.getByTestId('progress-run')).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByTestId('final')).toContainText('1500 steps');

  // Ctrl + wheel zooms the x axis; reset brings the whole run back.
  await inView(loss);
  const box = (await loss.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -400);
  await page.keyboard.up('Control');
  const reset = page.getByRole('button', { name: 'reset zoom' });
  await expect(reset).toBeVisible();
  await reset.click();
  await expect(reset).toHaveCount(0);

  // Epochs on the x axis, linear y: the same points, redrawn.
  await (await inView(page.getByTestId('axis-epochs'))).click();
  await page.getByTestId('scale-linear').click();
  await expect.poll(() => count(loss, 'data-lines')).toBe(2);

  await shoot(page, 'train-relu-abs.png');
  expect(errors).toEqual([]);
});

test('mnist-mlp: accuracy, validation, throughput and the unit map of a real network', async ({ page }) => {
  const errors = watchErrors(page);
  await openTrain(page);
  await setUp(page, 'mnist-mlp', { epochs: 1 });
  await page.getByTestId('start').click();

  await expect(page.getByTestId('job-status')).toHaveText('running', { timeout: 30_000 });
  await expect(page.getByTestId('throughput')).toHaveText(/\d/, { timeout: 30_000 });
  await expect(page.getByTestId('eta')).toHaveText(/\d+ (s|min)/);
  await expect(page.getByTestId('memory')).toHaveText(/tensors/);
  // Histograms of a model whose snapshots are megabytes, live while it trains: the start,
  // then every 2 s or more (20 × what they cost).
  await expect.poll(() => count(page.getByTestId('histograms'), 'data-sets'), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  // dense_1: 784 × 1024 weights; its output on the 256-sample probe batch.
  await expectHistograms(page, 'dense_1', { weight: 784 * 1024, bias: 1024, gradient: 784 * 1024, activation: 256 * 1024 });
  await shoot(page, 'train-mnist-live.png');

  await expect(page.getByTestId('job-status')).toHaveText('done', { timeout: 120_000 });
  // One epoch of the bundled digits' training split, every step on the chart.
  const steps = Number(/(\d+) steps/.exec((await page.getByTestId('final').textContent()) ?? '')?.[1]);
  expect(steps).toBeGreaterThan(50);
  await expect.poll(() => count(page.getByTestId('loss-chart'))).toBe(steps);
  await expect.poll(() => count(page.getByTestId('accuracy-chart'))).toBe(steps);
  await expect(page.getByTestId('val-accuracy')).toHaveText(/%/);
  // Validation per epoch: a third line beside raw and smoothed.
  await inView(page.getByTestId('loss-chart'));
  await expect.poll(() => count(page.getByTestId('loss-chart'), 'data-lines')).toBe(3);
  await inView(page.getByTestId('layer-grad-chart'));
  await expect.poll(() => count(page.getByTestId('layer-grad-chart'), 'data-lines')).toBe(4);

  const grids = page.getByTestId('unit-grid');
  await expect(grids).toHaveCount(3);
  await inView(grids.nth(2));
  // The preset's two hidden ReLU layers, and the ten logits.
  await expect.poll(() => count(grids.nth(0), 'data-units')).toBeGreaterThanOrEqual(128);
  await expect.poll(() => count(grids.nth(1), 'data-units')).toBeGreaterThanOrEqual(128);
  await expect(grids.nth(2)).toHaveAttribute('data-units', '10');
  await expect(page.getByTestId('input-plane')).toHaveCount(0);
  await expect(page.getByTestId('histograms-step')).toContainText(`step ${steps}`);
  await expectHistograms(page, 'dense_3', { weight: 1024 * 10, bias: 10, gradient: 1024 * 10, activation: 256 * 10 });

  await shoot(page, 'train-mnist-done.png');
  expect(errors).toEqual([]);
});

test('pause holds every curve, resume continues it, stop leaves a finished run', async ({ page }) => {
  const errors = watchErrors(page);
  await openTrain(page);
  await setUp(page, 'relu-abs', { epochs: 100_000 });
  await page.getByTestId('start').click();
  const loss = page.getByTestId('loss-chart');
  await expect.poll(() => count(loss), { timeout: 30_000 }).toBeGreaterThan(50);

  await page.getByTestId('pause').click();
  await expect(page.getByTestId('job-status')).toHaveText('paused');
  // The secondary charts redraw five times a second: let them catch up with the last update.
  await page.waitForTimeout(400);
  const held = await count(loss);
  const heldLayers = await count(page.getByTestId('layer-grad-chart'));
  await page.waitForTimeout(700);
  expect(await count(loss)).toBeLessThanOrEqual(held + 1);
  expect(await count(page.getByTestId('layer-grad-chart'))).toBeLessThanOrEqual(heldLayers + 1);
  await expect(page.getByTestId('eta')).toHaveText('—');

  await page.getByTestId('resume').click();
  await expect(page.getByTestId('job-status')).toHaveText('running');
  await expect.poll(() => count(loss)).toBeGreaterThan(held + 50);

  await page.getByTestId('stop').click();
  await expect(page.getByTestId('job-status')).toHaveText('stopped');
  await expect(page.getByTestId('final')).toContainText('steps');
  const finalSteps = Number(/(\d+) steps/.exec((await page.getByTestId('final').textContent()) ?? '')?.[1]);
  await expect.poll(() => count(loss)).toBe(finalSteps);
  await expect(page.getByTestId('start')).toBeEnabled();
  await expect(page.getByTestId('stop')).toBeDisabled();
  await page.waitForTimeout(300);
  expect(await count(loss)).toBe(finalSteps);
  // On disk: a finished run, stopped, with its metrics and histograms up to the last step.
  const dirs = readdirSync(serve.runsDir).map((d) => join(serve.runsDir, d));
  const run = dirs.map((d) => ({ d, record: JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as { status: string; spec: { training: { epochs: number } }; final: { steps: number } | null } })).find((r) => r.record.spec.training.epochs === 100_000);
  expect(run?.record.status).toBe('stopped');
  expect(run?.record.final?.steps).toBe(finalSteps);
  const sets = readFileSync(join(run!.d, 'histograms.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { step: number; reason: string });
  expect(sets[0]!.reason).toBe('start');
  expect(sets.at(-1)!.step).toBe(finalSteps);
  expect(errors).toEqual([]);
});

test('eight seeds overlay in one chart, each in its colour, one lifted on hover', async ({ page }) => {
  const errors = watchErrors(page);
  await openTrain(page);
  await setUp(page, 'relu-abs', { epochs: 400, repeat: 8 });
  await page.getByTestId('start').click();
  await expect(page.getByTestId('seed-progress')).toContainText('of 8', { timeout: 30_000 });
  await expect(page.getByTestId('run-legend-item')).toHaveCount(8);
  await expect(page.getByTestId('seed-progress')).toContainText('seed 8 of 8', { timeout: 180_000 });
  await expect(page.getByTestId('job-status')).toHaveText('done', { timeout: 60_000 });

  const loss = await inView(page.getByTestId('loss-chart'));
  await expect(loss).toHaveAttribute('data-runs', '8');
  // Raw and smoothed per seed.
  await expect.poll(() => count(loss, 'data-lines')).toBe(16);
  await expect(page.getByTestId('success-rate')).toContainText('of 8 succeeded');

  const third = page.getByTestId('run-legend-item').nth(2);
  await third.hover();
  await expect(third).toHaveClass(/lifted/);
  await shoot(page, 'train-eight-seeds-hover.png');
  // A click makes that seed the one the layer panels show.
  await third.click();
  await expect(page.getByTestId('layers-panel')).toContainText('seed 3');
  await expect(page.getByTestId('layer-grad-chart')).toHaveAttribute('data-run', 'seed 3');
  await expect(page.getByTestId('unit-map')).toHaveAttribute('data-run', 'seed 3');
  await page.mouse.move(0, 0);
  await shoot(page, 'train-eight-seeds.png');
  expect(errors).toEqual([]);
});
