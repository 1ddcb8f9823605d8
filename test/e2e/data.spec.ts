/**
 * The Data screen in Chromium against `trainbench serve`: the real Fashion-MNIST files dropped
 * (real drop events with File objects) or chosen (the open dialogs, by mouse and by keyboard),
 * uploaded in chunks and previewed; malformed files refused with the file named while what was
 * loaded stays; a dataset used and seen on the Model screen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test, expect, type Page } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';
import { dropFiles } from '../support/dropFiles';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const TRAIN = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'].map((f) => join(FASHION_DIR, f));
const TEST = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map((f) => join(FASHION_DIR, f));

let serve: ServeProcess;

test.use({ viewport: { width: 1440, height: 1000 } });
test.skip(!existsSync(FASHION_DIR), `Fashion-MNIST is not installed at ${FASHION_DIR} (apt-get install dataset-fashion-mnist)`);

test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve?.stop();
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

async function openDataScreen(page: Page): Promise<void> {
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Data' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Data' })).toBeVisible();
}

const real = (paths: string[]): { name: string; bytes: Buffer }[] => paths.map((p) => ({ name: basename(p), bytes: readFileSync(p) }));

/** Records every text the progress bar shows, to check it counted bytes and percent on the way. */
async function recordProgress(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __progress: string[] }).__progress = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="progress-text"]')?.textContent;
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { __progress: string[] }).__progress);
}

async function expectFashionTrain(page: Page): Promise<void> {
  const preview = page.getByTestId('dataset-preview');
  await expect(preview.getByTestId('count-train')).toHaveText('60,000 train', { timeout: 60_000 });
  await expect(preview.getByTestId('sample-shape')).toHaveText('28×28×1');
  await expect(preview.getByTestId('element-type')).toHaveText('u8');
  await expect(preview.getByTestId('value-range')).toHaveText('0 – 255');
  await expect(preview.getByTestId('class-balance')).toHaveText('10 classes of 6,000');
  const bars = preview.getByTestId('class-bar');
  await expect(bars).toHaveCount(10);
  for (let c = 0; c < 10; c++) await expect(bars.nth(c)).toHaveAttribute('data-count', '6000');
}

test('dropping the four Fashion-MNIST .gz files anywhere on the screen uploads them and previews the dataset', async ({ page }) => {
  const errors = collectErrors(page);
  await openDataScreen(page);
  const progress = await recordProgress(page);

  // Dropped on the placeholder, not on the drop area: anywhere on the screen takes files.
  await dropFiles(page, page.locator('.placeholder'), real([...TRAIN, ...TEST]), async () => {
    await expect(page.getByTestId('drop-overlay')).toBeVisible();
    await expect(page.getByTestId('drop-area')).toHaveClass(/dragging/);
  });
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
  await expect(page.getByTestId('load-progress')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('data-uploading.png') });

  await expectFashionTrain(page);
  const preview = page.getByTestId('dataset-preview');
  await expect(preview.getByTestId('count-test')).toHaveText('10,000 test');
  await expect(preview.getByTestId('preview-name')).toHaveText('IDX train + t10k (4 files)');
  await expect(preview.getByTestId('task')).toHaveText('classification · 10 classes');
  await expect(preview.getByTestId('badge-unnormalized')).toBeVisible();
  await expect(preview.getByTestId('badge-unnormalized')).toContainText('unnormalized-input');
  await expect(preview.getByTestId('badge-imbalanced')).toHaveCount(0);
  await expect(preview.getByTestId('sample')).toHaveCount(48);
  await expect(page.getByTestId('load-progress')).toBeHidden();

  // The bar counted bytes and percent of the 30.9 MB on the way, then said the engine was decoding.
  const texts = await progress();
  const counted = texts.filter((t) => t.includes(' of '));
  expect(counted.length).toBeGreaterThan(1);
  for (const text of counted) expect(text).toMatch(/^[\d.]+ (B|kB|MB) of 30\.9 MB \(\d+ %\)$/);
  const percents = counted.map((t) => Number(/\((\d+) %\)/.exec(t)![1]));
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
  expect(texts.at(-1)).toMatch(/decoding/);

  // The samples are drawn: a thumbnail's canvas holds the 28×28 image, not a blank.
  const drawn = await preview.locator('[data-testid="sample"] canvas').first().evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! > 0) lit++;
    return { width: c.width, height: c.height, lit };
  });
  expect(drawn.width).toBe(28);
  expect(drawn.height).toBe(28);
  expect(drawn.lit).toBeGreaterThan(50);

  await preview.getByTestId('split-test').click();
  await expect(preview.getByTestId('sample').first()).toHaveAttribute('title', /^test #/);
  await preview.getByTestId('split-train').click();
  await page.screenshot({ path: test.info().outputPath('data-preview-fashion.png'), fullPage: true });

  // The one-click fix reloads the same files with pixels divided by 255, in the same place.
  await preview.getByTestId('fix-divide255').click();
  await expect(preview.getByTestId('input-range')).toHaveText('0 – 1', { timeout: 60_000 });
  await expect(preview.getByTestId('badge-unnormalized')).toHaveCount(0);
  await expect(preview.getByTestId('normalization')).toHaveValue('divide255');
  await expect(preview.getByTestId('value-range')).toHaveText('0 – 255');
  await expect(page.getByTestId('dataset-item')).toHaveCount(1);
  expect(errors).toEqual([]);
});

test('files chosen in the dialog load; a malformed drop names the file and leaves the loaded dataset usable; the Model screen uses it', async ({ page }) => {
  const errors = collectErrors(page);
  await openDataScreen(page);
  await expect(page.getByTestId('data-screen')).toHaveAttribute('data-listed', 'true');
  const before = await page.getByTestId('dataset-item').count();

  await page.getByTestId('file-input').setInputFiles(TRAIN);
  await expectFashionTrain(page);
  const preview = page.getByTestId('dataset-preview');
  await expect(preview).toContainText('no test split');
  await expect(page.getByTestId('dataset-item')).toHaveCount(before + 1);
  const id = await preview.getAttribute('data-id');
  expect(id).toMatch(/^idx-/);

  // A truncated gzip stream (the first 100 kB of the real file) with its real labels.
  const truncated = readFileSync(TEST[0]!).subarray(0, 100_000);
  await page.getByTestId('file-input').setInputFiles([
    { name: 't10k-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: truncated },
    { name: 't10k-labels-idx1-ubyte.gz', mimeType: 'application/gzip', buffer: readFileSync(TEST[1]!) },
  ]);
  const error = page.getByTestId('load-error');
  await expect(error).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('load-error-message')).toHaveText(/^t10k-images-idx3-ubyte\.gz: .*truncated/);
  await expect(page.getByTestId('dataset-item')).toHaveCount(before + 1);
  await expect(preview).toHaveAttribute('data-id', id!);
  await page.screenshot({ path: test.info().outputPath('data-error.png') });

  // A text file named as gzipped IDX, dropped with real drop events: refused, naming it.
  await dropFiles(page, page.getByTestId('dataset-preview'), [
    { name: 'train-labels-idx1-ubyte.gz', bytes: Buffer.from('label,image\n1,shoe.png\n') },
    { name: 'train-images-idx3-ubyte.gz', bytes: gzipSync(Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28])) },
  ]);
  await expect(page.getByTestId('load-error-message')).toHaveText(/train-(labels|images)-idx\d-ubyte\.gz: /);
  const message = (await page.getByTestId('load-error-message').textContent()) ?? '';
  expect(message).toMatch(/^train-labels-idx1-ubyte\.gz: .*(gzip|IDX)|^train-images-idx3-ubyte\.gz: /);
  await expect(page.getByTestId('dataset-item')).toHaveCount(before + 1);

  // The dataset loaded before is still there and usable.
  await page.getByTestId('dismiss-error').click();
  await expect(error).toBeHidden();
  await page.locator(`[data-testid="dataset-item"][data-id="${id}"]`).click();
  await expect(preview.getByTestId('count-train')).toHaveText('60,000 train');
  await preview.getByTestId('use-dataset').click();
  await expect(preview.getByTestId('preview-in-use')).toBeVisible();
  await expect(page.locator(`[data-testid="dataset-item"][data-id="${id}"]`).getByTestId('in-use-tag')).toBeVisible();
  await expect(page.getByTestId('spec-dataset')).toHaveText('IDX train (2 files)');
  await expect(page.getByTestId('spec-normalization')).toHaveText('none');

  await page.getByRole('link', { name: 'Model' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Model' })).toBeVisible();
  await expect(page.getByTestId('dataset-name')).toHaveValue('__other');
  await expect(page.getByTestId('dataset-name').locator('option:checked')).toHaveText(`loaded: ${id}`);
  await expect(page.getByTestId('dataset-summary')).toHaveText('[28, 28, 1] per sample · 10 classes');

  // Back on the Data screen the list and the choice are as they were.
  await page.getByRole('link', { name: 'Data' }).click();
  await expect(page.locator(`[data-testid="dataset-item"][data-id="${id}"]`).getByTestId('in-use-tag')).toBeVisible();
  expect(errors).toEqual([]);
});

test('the keyboard reaches the file dialog; a folder loads with its name; a built-in loads in one click and is used', async ({ page }) => {
  const errors = collectErrors(page);
  await openDataScreen(page);

  // Tab from the top of the page to "Choose files…", Enter opens the dialog.
  await page.getByRole('heading', { level: 1, name: 'Data' }).click();
  let reached = false;
  for (let i = 0; i < 15 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'choose-files');
  }
  expect(reached).toBe(true);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  expect(chooser.isMultiple()).toBe(true);
  await chooser.setFiles(TEST);
  const preview = page.getByTestId('dataset-preview');
  // A t10k pair alone becomes the training split.
  await expect(preview.getByTestId('count-train')).toHaveText('10,000 train', { timeout: 60_000 });
  await expect(preview.getByTestId('class-balance')).toHaveText('10 classes of 1,000');

  // The folder dialog: the files keep their folder, which names the dataset.
  await page.getByTestId('folder-input').setInputFiles(FASHION_DIR);
  await expect(preview.getByTestId('preview-name')).toHaveText('fashion-mnist', { timeout: 60_000 });
  await expect(preview.getByTestId('count-train')).toHaveText('60,000 train');
  await expect(preview.getByTestId('count-test')).toHaveText('10,000 test');

  // A synthetic set in one click: a scatter plot coloured by class.
  await page.getByTestId('builtin-size').fill('400');
  await page.getByTestId('builtin-seed').fill('7');
  await page.getByTestId('builtin-spirals').click();
  await expect(preview.getByTestId('preview-name')).toHaveText('spirals (400 points, seed 7)');
  await expect(preview.getByTestId('scatter-plot')).toHaveAttribute('data-points', '400');
  await expect(preview.getByTestId('count-train')).toHaveText('400 train');
  await expect(preview.getByTestId('class-balance')).toHaveText('2 classes of 200');
  await preview.getByTestId('use-dataset').click();
  await expect(preview.getByTestId('preview-in-use')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('data-preview-spirals.png'), fullPage: true });

  await page.getByRole('link', { name: 'Model' }).click();
  await expect(page.getByTestId('dataset-name')).toHaveValue('spirals');
  await expect(page.getByTestId('dataset-size')).toHaveValue('400');
  await expect(page.getByTestId('dataset-seed')).toHaveValue('7');

  // The bundled MNIST digits: an image grid.
  await page.getByRole('link', { name: 'Data' }).click();
  await page.getByTestId('builtin-mnist').click();
  await expect(preview.getByTestId('count-train')).toHaveText('8,000 train');
  await expect(preview.getByTestId('count-test')).toHaveText('2,000 test');
  await expect(preview.getByTestId('sample-shape')).toHaveText('28×28×1');
  await expect(preview.getByTestId('sample')).toHaveCount(48);

  // A regression set: the scatter plot is coloured by the target.
  await page.getByTestId('builtin-abs').click();
  await expect(preview.getByTestId('preview-name')).toHaveText(/^abs \(/);
  await expect(preview.getByTestId('task')).toHaveText('regression · 1 target');
  await expect(preview.getByTestId('scatter-plot')).toContainText('target');
  expect(errors).toEqual([]);
});

test('Cancel stops an upload at once and adds nothing; the next drop loads', async ({ page }) => {
  const errors = collectErrors(page);
  // Hold the page's binary frames (the chunks) after the second, as a slow network would.
  let chunks = 0;
  let hold = true;
  const held: (() => void)[] = [];
  await page.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      if (typeof message !== 'string' && hold && ++chunks > 2) held.push(() => server.send(message));
      else server.send(message);
    });
  });
  await openDataScreen(page);
  await expect(page.getByTestId('data-screen')).toHaveAttribute('data-listed', 'true');
  const count = await page.getByTestId('dataset-item').count();
  await page.getByTestId('file-input').setInputFiles(TRAIN);
  await expect(page.getByTestId('progress-text')).toHaveText('2.10 MB of 26.5 MB (7 %)');
  await page.getByTestId('cancel-load').click();
  await expect(page.getByTestId('load-progress')).toBeHidden();
  await expect(page.getByTestId('load-notice')).toHaveText('Cancelled: IDX train (2 files) was not loaded');
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  // The chunk that was in flight arrives after the cancel and is refused, quietly.
  hold = false;
  for (const send of held.splice(0)) send();
  await expect(page.getByTestId('dataset-item')).toHaveCount(count);

  await page.getByTestId('file-input').setInputFiles(TEST);
  await expect(page.getByTestId('dataset-preview').getByTestId('count-train')).toHaveText('10,000 train', { timeout: 60_000 });
  await expect(page.getByTestId('dataset-item')).toHaveCount(count + 1);
  expect(errors).toEqual([]);
});

test('a CSV with a rare class shows its features in a table and the class-imbalance badge', async ({ page }) => {
  const errors = collectErrors(page);
  await openDataScreen(page);
  const rows = ['sepal,petal,width,species'];
  for (let i = 0; i < 40; i++) rows.push(`${(i % 7) / 10},${(i % 5) / 10},${(i % 3) / 10},${i < 36 ? (i % 2) : 2}`);
  await page.getByTestId('file-input').setInputFiles([{ name: 'flowers.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n') }]);
  const preview = page.getByTestId('dataset-preview');
  await expect(preview.getByTestId('preview-name')).toHaveText('flowers.csv');
  await expect(preview.getByTestId('count-train')).toHaveText('40 train');
  await expect(preview.getByTestId('sample-shape')).toHaveText('3');
  await expect(preview.getByTestId('badge-imbalanced')).toBeVisible();
  await expect(preview.getByTestId('badge-imbalanced')).toContainText('"2" 4');
  await expect(preview.getByTestId('badge-unnormalized')).toHaveCount(0);
  await expect(preview.getByTestId('class-bar').nth(2)).toHaveAttribute('data-count', '4');
  const table = preview.getByTestId('sample-table');
  await expect(table.locator('thead')).toContainText('sepal');
  await expect(table.locator('thead')).toContainText('width');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('data-preview-csv.png') });
  expect(errors).toEqual([]);
});
