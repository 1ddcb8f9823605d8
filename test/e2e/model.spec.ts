import { readFileSync } from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;

test.use({ viewport: { width: 1440, height: 900 } });

test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve.stop();
});

/** Console errors and uncaught exceptions of the page; a test ends by expecting none. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return errors;
}

async function openModelScreen(page: Page): Promise<void> {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Model' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Model' })).toBeVisible();
  await expect(page.getByTestId('use-preset-relu-abs')).toBeVisible();
}

test('builds relu-abs from an empty canvas, breaks it, undoes, saves and reopens it', async ({ page }) => {
  const errors = collectErrors(page);
  await openModelScreen(page);
  const blocks = page.getByTestId('layer-block');
  const inspector = page.getByTestId('inspector');

  await page.getByTestId('new-empty').click();
  await expect(page.getByTestId('empty-canvas')).toBeVisible();
  await page.getByTestId('dataset-name').selectOption('abs');
  await expect(page.getByTestId('dataset-summary')).toHaveText('[2] per sample · regression, 1 target');

  // The mouse: drag a dense layer from the palette onto the empty canvas, set it up in the inspector.
  await page.getByTestId('palette-dense').dragTo(page.getByTestId('empty-canvas'));
  await expect(blocks).toHaveCount(1);
  await blocks.nth(0).click();
  await inspector.getByLabel('Units').fill('3');
  await inspector.getByLabel('Units').press('Enter');
  await inspector.getByLabel('Activation', { exact: true }).selectOption('relu');
  await expect(blocks.nth(0).getByTestId('layer-activation')).toHaveText('relu');

  // The keyboard: a palette item with focus adds after the selected layer on Enter.
  await page.getByTestId('palette-dense').focus();
  await page.keyboard.press('Enter');
  await expect(blocks).toHaveCount(2);
  await expect(blocks.nth(1)).toHaveAttribute('aria-selected', 'true');
  await inspector.getByLabel('Units').focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('1');
  await page.keyboard.press('Tab');

  await expect(blocks.nth(0).getByTestId('layer-shape')).toHaveText('[3]');
  await expect(blocks.nth(1).getByTestId('layer-shape')).toHaveText('[1]');
  await expect(blocks.nth(0).getByTestId('layer-params')).toHaveText('9');
  await expect(blocks.nth(1).getByTestId('layer-params')).toHaveText('4');
  await expect(page.getByTestId('total-params')).toHaveText('13');
  await expect(page.getByTestId('check-state')).toHaveText('valid');
  await expect(page.getByTestId('layer-error')).toHaveCount(0);

  // Invalid: 2 units on the last layer against a target of width 1; the error is on layer 1 only.
  await blocks.nth(1).click();
  await inspector.getByLabel('Units').fill('2');
  await inspector.getByLabel('Units').press('Enter');
  await expect(blocks.nth(1).getByTestId('layer-error')).toContainText('model.layers.1.units');
  await expect(blocks.nth(1).getByTestId('layer-error')).toContainText('needs 1 units, not 2');
  await expect(blocks.nth(0).getByTestId('layer-error')).toHaveCount(0);
  await blocks.nth(1).focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect(page.getByTestId('layer-error')).toHaveCount(0);
  await expect(blocks.nth(1).getByTestId('layer-shape')).toHaveText('[1]');
  await expect(page.getByTestId('total-params')).toHaveText('13');

  // Invalid: a conv2d on the 2-D input, added with the keyboard after layer 0.
  await blocks.nth(0).click();
  await page.getByTestId('palette-conv2d').focus();
  await page.keyboard.press('Enter');
  await expect(blocks).toHaveCount(3);
  await expect(blocks.nth(1).getByTestId('layer-error')).toContainText('model.layers.1');
  await expect(blocks.nth(1).getByTestId('layer-error')).toContainText('conv2d needs an [height, width, channels] input, got [3]');
  await expect(blocks.nth(0).getByTestId('layer-error')).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('model-error.png') });
  await page.keyboard.press('ControlOrMeta+z');
  await expect(blocks).toHaveCount(2);
  await expect(page.getByTestId('layer-error')).toHaveCount(0);
  // Redo brings it back; undo again.
  await page.keyboard.press('ControlOrMeta+Shift+z');
  await expect(blocks).toHaveCount(3);
  await page.getByTestId('undo').click();
  await expect(blocks).toHaveCount(2);
  await expect(page.getByTestId('total-params')).toHaveText('13');

  // Save to a file under a name of our own.
  await page.getByTestId('spec-name').fill('my-abs');
  await page.getByTestId('spec-name').press('Enter');
  const downloading = page.waitForEvent('download');
  await page.getByTestId('save-spec').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('my-abs.trainbench.json');
  const saved = test.info().outputPath('my-abs.trainbench.json');
  await download.saveAs(saved);
  const written = JSON.parse(readFileSync(saved, 'utf8')) as { name: string; dataset: { name: string }; model: { layers: { type: string; units: number; activation: string }[] } };
  expect(written.name).toBe('my-abs');
  expect(written.dataset.name).toBe('abs');
  expect(written.model.layers.map((l) => [l.type, l.units, l.activation])).toEqual([
    ['dense', 3, 'relu'],
    ['dense', 1, 'linear'],
  ]);

  // Something else, then reopen the file.
  await page.getByTestId('use-preset-mnist-cnn').click();
  await expect(blocks).toHaveCount(8);
  await page.getByTestId('open-file').setInputFiles(saved);
  await expect(blocks).toHaveCount(2);
  await expect(page.getByTestId('spec-name')).toHaveValue('my-abs');
  await expect(page.getByTestId('total-params')).toHaveText('13');

  // A file that does not parse: named, with the first invalid field, and nothing lost.
  const broken = { ...written, model: { layers: [{ type: 'dense', units: 0 }] } };
  await page.getByTestId('open-file').setInputFiles({ name: 'broken.trainbench.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(broken)) });
  await expect(page.getByTestId('file-error')).toContainText('broken.trainbench.json: model.layers.0.units:');
  await expect(blocks).toHaveCount(2);
  await expect(page.getByTestId('total-params')).toHaveText('13');
  await page.getByTestId('open-file').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{ "version": 1,') });
  await expect(page.getByTestId('file-error')).toContainText('notes.json: not a JSON file');
  await expect(blocks).toHaveCount(2);

  // A .json dropped on the screen opens too.
  const text = readFileSync(saved, 'utf8').replace('"my-abs"', '"dropped"');
  const dataTransfer = await page.evaluateHandle((content) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], 'dropped.trainbench.json', { type: 'application/json' }));
    return transfer;
  }, text);
  await page.getByTestId('use-preset-xor').click();
  await page.locator('section.model').dispatchEvent('dragover', { dataTransfer });
  await page.locator('section.model').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByTestId('spec-name')).toHaveValue('dropped');
  await expect(page.getByTestId('file-error')).toHaveCount(0);
  await expect(page.getByTestId('total-params')).toHaveText('13');

  expect(errors).toEqual([]);
});

test('reorders, duplicates and deletes layers with the mouse and the keyboard', async ({ page }) => {
  const errors = collectErrors(page);
  await openModelScreen(page);
  await page.getByTestId('use-preset-mnist-mlp').click();
  const blocks = page.getByTestId('layer-block');
  const names = (): Promise<string[]> => page.getByTestId('layer-name').allTextContents();
  const before = await names();
  expect(before.length).toBeGreaterThan(3);

  // Drag the second block above the first.
  await blocks.nth(1).dragTo(blocks.nth(0), { targetPosition: { x: 40, y: 4 } });
  await expect.poll(names).toEqual([before[1], before[0], ...before.slice(2)]);
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(names).toEqual(before);

  // Alt+Down moves the focused block; Ctrl/Cmd+D duplicates it; Delete removes it.
  await blocks.nth(0).click();
  await page.keyboard.press('Alt+ArrowDown');
  await expect.poll(names).toEqual([before[1], before[0], ...before.slice(2)]);
  await expect(blocks.nth(1)).toBeFocused();
  await page.keyboard.press('ControlOrMeta+d');
  await expect(blocks).toHaveCount(before.length + 1);
  await expect(blocks.nth(2)).toBeFocused();
  await page.keyboard.press('Delete');
  await page.keyboard.press('Delete');
  await expect(blocks).toHaveCount(before.length - 1);
  for (let i = 0; i < 4; i++) await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(names).toEqual(before);
  await expect(page.getByTestId('check-state')).toHaveText('valid');

  // The inspector lists every option of the selected type, each explained (mnist-mlp: flatten, input dropout, dense…).
  await blocks.nth(2).click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector.getByTestId('field-kernelInitializer')).toBeVisible();
  await inspector.getByTestId('field-kernelInitializer').selectOption('heNormal');
  await expect(inspector).toContainText('He initialisation: variance 2/fan_in');
  await page.getByTestId('use-preset-mnist-cnn').click();
  await blocks.nth(0).click();
  for (const field of ['field-filters', 'field-kernelSize-h', 'field-strides-h', 'field-padding', 'field-activation', 'field-alpha', 'field-useBias', 'field-kernelInitializer', 'field-biasInitializer', 'field-name']) {
    await expect(inspector.getByTestId(field)).toBeVisible();
  }
  await expect(page.getByTestId('total-memory')).not.toHaveText('—');
  await expect(page.getByTestId('total-flops')).toHaveText(/M$/);
  await page.screenshot({ path: test.info().outputPath('model-screen.png') });
  expect(errors).toEqual([]);
});

test('the training setup flags a loss that does not fit and fixes it in one click', async ({ page }) => {
  const errors = collectErrors(page);
  await openModelScreen(page);
  await page.getByTestId('use-preset-mnist-relu-nan').click();
  await page.getByRole('link', { name: 'Train' }).click();
  const setup = page.getByTestId('training-setup');
  await expect(setup).toBeVisible();

  // MSE on one-hot digits, and raw 0–255 pixels: situation 3.
  await expect(setup.getByTestId('loss-warning')).toContainText('mse on class labels');
  await expect(setup.getByTestId('input-warning')).toContainText('0–255');
  await page.screenshot({ path: test.info().outputPath('training-setup.png'), fullPage: true });
  await setup.getByTestId('loss-warning').getByTestId('apply-fix').click();
  await expect(setup.getByTestId('setup-loss')).toHaveValue('sparseCategoricalCrossentropy');
  await expect(setup.getByTestId('setup-from-logits')).toBeChecked();
  await expect(setup.getByTestId('loss-fits')).toBeVisible();

  // fromLogits off on a linear output: cross-entropy of values that are not probabilities.
  await setup.getByTestId('setup-from-logits').uncheck();
  await expect(setup.getByTestId('loss-warning')).toContainText('expects probabilities');

  // Fields apply on change and are undoable like any edit; repeat is a setting kept across reloads.
  await setup.getByLabel('Epochs').fill('7');
  await setup.getByLabel('Epochs').press('Enter');
  await setup.getByTestId('setup-full-batch').check();
  await expect(setup.getByTestId('setup-batch-size')).toBeDisabled();
  await setup.getByTestId('setup-optimizer').selectOption('momentum');
  await expect(setup.getByTestId('setup-learning-rate')).toHaveValue('0.01');
  await expect(setup.getByTestId('setup-optimizer-nesterov')).toBeVisible();
  await setup.getByTestId('setup-repeat').fill('5');
  await setup.getByTestId('setup-repeat').press('Enter');
  await page.reload();
  await page.getByRole('link', { name: 'Train' }).click();
  await expect(setup.getByTestId('setup-repeat')).toHaveValue('5');
  await expect(setup.getByLabel('Epochs')).toHaveValue('7');
  await expect(setup.getByTestId('setup-optimizer')).toHaveValue('momentum');
  expect(errors).toEqual([]);
});
