/**
 * Real-world data files dropped on the Data screen in Chromium against `trainbench serve`
 * (issue 17): scikit-learn's iris.csv (a count line over the rows), a CSV with missing values
 * and a text column read again with "fill", a keras-style .npz written by numpy, and an image
 * folder in the torchvision layout (train/ and val/ make the splits) read again in RGB.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';
import { dropFiles } from '../support/dropFiles';
import { numpyPython, runNumpy } from '../support/numpyFiles';
import { write } from '../unit/datasets/makeFiles';

const IRIS = join(__dirname, '..', 'fixtures', 'sklearn', 'iris.csv');
let serve: ServeProcess;
const root = mkdtempSync(join(tmpdir(), 'tb-e2e-formats-'));

test.use({ viewport: { width: 1440, height: 1000 } });

test.beforeAll(async () => {
  serve = await startServeProcess();
});
test.afterAll(async () => {
  await serve?.stop();
  rmSync(root, { recursive: true, force: true });
});

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

function png(w: number, h: number, rgb: [number, number, number]): Buffer {
  const image = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) image.data.set([...rgb, 255], p * 4);
  return PNG.sync.write(image);
}

test('scikit-learn iris.csv: the count line names the classes; a CSV with holes and text is read again with "fill"', async ({ page }) => {
  const errors = collectErrors(page);
  await openDataScreen(page);
  const preview = page.getByTestId('dataset-preview');

  await dropFiles(page, page.getByTestId('drop-area'), [{ name: 'iris.csv', bytes: readFileSync(IRIS) }]);
  await expect(preview.getByTestId('count-train')).toHaveText('150 train', { timeout: 30_000 });
  await expect(preview.getByTestId('sample-shape')).toHaveText('4');
  await expect(preview.getByTestId('task')).toHaveText('classification · 3 classes');
  await expect(preview.getByTestId('read-header-found')).toContainText('count line “150,4,setosa,versicolor,virginica” skipped');
  await expect(preview.getByTestId('read-missing-found')).toHaveText('none');

  const rows = ['height,weight,colour,label', '1.5,NA,red,a', '1.7,60,?,b', ',72,blue,a', '1.6,65,red,b', '1.8,80,blue,a'];
  await dropFiles(page, page.getByTestId('drop-area'), [{ name: 'people.csv', bytes: Buffer.from(`${rows.join('\r\n')}\r\n`) }]);
  await expect(preview.getByTestId('count-train')).toHaveText('2 train', { timeout: 30_000 });
  await expect(preview.getByTestId('read-missing-found')).toHaveText('3 in 3 rows: 1 in “height”, 1 in “weight”, 1 in “colour”');
  await expect(preview.getByTestId('read-one-hot')).toHaveText('“colour” → colour=blue, colour=red');
  await expect(preview.getByTestId('sample-shape')).toHaveText('4');
  await preview.getByTestId('read-missing').selectOption('fill');
  await expect(preview.getByTestId('count-train')).toHaveText('5 train', { timeout: 30_000 });
  await expect(preview.getByTestId('read-missing-found')).toContainText('1 in “weight” (filled with 69.25)');
  await expect(preview.getByTestId('read-missing')).toHaveValue('fill');
  // Per-feature standardisation, said in the preview.
  await preview.getByTestId('normalization').selectOption('standardize');
  await expect(preview.getByTestId('read-standardization')).toHaveText('each feature by its own mean and std', { timeout: 30_000 });
  await expect(preview.getByTestId('count-train')).toHaveText('5 train');
  await expect(page.getByTestId('dataset-item')).toHaveCount(2);
  await page.screenshot({ path: test.info().outputPath('data-csv-options.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('a keras-style .npz written by numpy loads with its train and test splits', async ({ page }) => {
  const py = numpyPython();
  test.skip('missing' in py, 'missing' in py ? py.missing : '');
  runNumpy(
    root,
    `
rng = np.random.default_rng(3)
np.savez_compressed(os.path.join(out, 'mnist.npz'), x_train=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), y_train=np.arange(300) % 10, x_test=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), y_test=np.arange(50) % 10)
`,
  );
  const errors = collectErrors(page);
  await openDataScreen(page);
  const preview = page.getByTestId('dataset-preview');
  await dropFiles(page, page.getByTestId('drop-area'), [{ name: 'mnist.npz', bytes: readFileSync(join(root, 'mnist.npz')) }]);
  await expect(preview.getByTestId('count-train')).toHaveText('300 train', { timeout: 30_000 });
  await expect(preview.getByTestId('count-test')).toHaveText('50 test');
  await expect(preview.getByTestId('sample-shape')).toHaveText('28×28×1');
  await expect(preview.getByTestId('element-type')).toHaveText('u8');
  await expect(preview.getByTestId('task')).toHaveText('classification · 10 classes');
  await expect(preview.getByTestId('sample')).toHaveCount(48);
  expect(errors).toEqual([]);
});

test('an image folder in the torchvision layout: train/ and val/ become the splits; read again in RGB at 32×32', async ({ page }) => {
  const dir = join(root, 'pets');
  for (let i = 0; i < 6; i++) write(join(dir, 'train', 'cats', `c${i}.png`), png(40, 30, [200, 40, 40]));
  for (let i = 0; i < 4; i++) write(join(dir, 'train', 'dogs', 'outdoor', `d${i}.png`), png(20, 20, [40, 40, 200]));
  for (let i = 0; i < 3; i++) write(join(dir, 'val', 'cats', `v${i}.png`), png(16, 16, [200, 40, 40]));
  mkdirSync(join(dir, 'val', 'dogs'), { recursive: true });
  write(join(dir, 'val', 'dogs', 'w.png'), png(16, 16, [40, 40, 200]));
  const errors = collectErrors(page);
  await openDataScreen(page);
  const preview = page.getByTestId('dataset-preview');
  await page.getByTestId('folder-input').setInputFiles(dir);
  await expect(preview.getByTestId('count-train')).toHaveText('10 train', { timeout: 30_000 });
  await expect(preview.getByTestId('count-test')).toHaveText('4 test');
  await expect(preview.getByTestId('sample-shape')).toHaveText('28×28×1');
  await preview.getByTestId('read-channels').selectOption('3');
  await expect(preview.getByTestId('sample-shape')).toHaveText('28×28×3', { timeout: 30_000 });
  await preview.getByTestId('read-size').selectOption('32');
  await expect(preview.getByTestId('sample-shape')).toHaveText('32×32×3', { timeout: 30_000 });
  await expect(preview.getByTestId('count-test')).toHaveText('4 test');
  await expect(preview.getByTestId('read-channels')).toHaveValue('3');
  expect(errors).toEqual([]);
});
