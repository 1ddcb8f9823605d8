/**
 * A model trained elsewhere on the Inspect screen, in Chromium against `trainbench serve`: a
 * tf.sequential built and saved by tfjs itself (model.json + weights.bin) with one first-layer
 * unit made dead, opened by path over the built-in abs points. The unit map shows the dead
 * unit, and its activations are all zeros; an LSTM model is refused naming the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { startServeProcess, type ServeProcess } from '../support/serveProcess';
import { watchErrors } from '../support/pageErrors';
import { dropFiles } from '../support/dropFiles';

let serve: ServeProcess;
let root: string;
let mlp: string;
let lstm: string;

/** Saves as tfjs's file:// handler lays a model out: model.json + weights.bin in `dir`. */
async function save(model: tf.LayersModel, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : (data ?? new ArrayBuffer(0))));
      const json = { modelTopology: artifacts.modelTopology, format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}

test.beforeAll(async () => {
  serve = await startServeProcess();
  root = mkdtempSync(join(tmpdir(), 'trainbench-e2e-outside-'));
  const model = tf.sequential({ name: 'elsewhere_mlp' });
  model.add(tf.layers.dense({ inputShape: [2], units: 4, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.add(tf.layers.dense({ units: 1, name: 'out' }));
  // Unit 2's bias far below what its inputs reach: it never fires on the abs points.
  const [kernel] = model.layers[0]!.getWeights();
  model.layers[0]!.setWeights([kernel!, tf.tensor([0.1, 0.2, -100, 0.3])]);
  mlp = await save(model, join(root, 'mlp'));
  const recurrent = tf.sequential();
  recurrent.add(tf.layers.lstm({ inputShape: [4, 2], units: 3, name: 'lstm_1' }));
  recurrent.add(tf.layers.dense({ units: 1 }));
  lstm = await save(recurrent, join(root, 'lstm'));
  model.dispose();
  recurrent.dispose();
});
test.afterAll(async () => {
  await serve.stop();
  rmSync(root, { recursive: true, force: true });
});

test('a tfjs model from elsewhere opens over the abs points: the dead unit shows in the unit map and its activations are all zeros', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(serve.url);
  await page.keyboard.press('Alt+6');
  await expect(page.getByRole('heading', { level: 1, name: 'Inspect' })).toBeVisible();
  const panel = page.getByTestId('open-model');
  await expect(panel).toHaveAttribute('open', '');

  // An unsupported layer is refused by class and name.
  await page.getByTestId('open-model-path').fill(lstm);
  await page.getByTestId('open-model-dataset').selectOption('builtin:abs');
  await page.getByTestId('open-model-submit').click();
  await expect(page.getByTestId('open-model-error')).toContainText("unsupported layer LSTM 'lstm_1'");

  // By keyboard: the path field, then Enter submits the form.
  await page.getByTestId('open-model-path').fill(mlp);
  await page.getByTestId('open-model-path').press('Enter');
  await expect(page).toHaveURL(/#\/inspect\/outside-[0-9a-f]+$/);
  await expect(page.getByTestId('inspect-outside')).toContainText(`trained elsewhere: ${mlp}`);
  await expect(page.getByTestId('open-model-error')).toHaveCount(0);
  await expect(page.getByTestId('inspect-step-label')).toHaveText('step 0');
  await expect(page.getByTestId('inspect-layer')).toHaveValue('hidden');
  const grid = page.getByTestId('unit-grid');
  await expect(grid).toHaveAttribute('data-dead', '1');

  // The dead unit is the third cell (12-px cells, 2-px gaps).
  await grid.click({ position: { x: 2 * 14 + 6, y: 6 } });
  const unitView = page.getByTestId('inspect-unit-view');
  await expect(unitView).toHaveAttribute('data-unit', '2');
  const activation = page.getByTestId('unit-activation');
  await expect(activation).toHaveAttribute('data-total', '500');
  await expect(activation).toHaveAttribute('data-zeros', '500');
  await expect(unitView).toContainText('all 500 values are 0');

  // A live unit fires on some inputs.
  await grid.click({ position: { x: 6, y: 6 } });
  await expect(unitView).toHaveAttribute('data-unit', '0');
  await expect.poll(async () => Number(await activation.getAttribute('data-zeros'))).toBeLessThan(500);
  // The 2-D input plane draws the model's units.
  await expect(page.getByTestId('inspect-plane')).toHaveAttribute('data-step', '0');
  await page.screenshot({ path: test.info().outputPath('inspect-outside.png') });
  expect(errors).toEqual([]);
});

test('the same model dropped as files (model.json + weights.bin) opens too; model.json alone is refused naming the missing weights.bin', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`${serve.url.replace(/#.*$/, '')}#/inspect`);
  await page.getByTestId('open-model-dataset').selectOption('builtin:abs');
  const zone = page.getByTestId('open-model-drop');
  await dropFiles(page, zone, [{ name: 'model.json', bytes: readFileSync(mlp) }]);
  await expect(page.getByTestId('open-model-error')).toContainText('weights.bin: missing: model.json names it in weightsManifest.0.paths.0');
  await dropFiles(page, zone, [
    { name: 'model.json', bytes: readFileSync(mlp) },
    { name: 'weights.bin', bytes: readFileSync(join(root, 'mlp', 'weights.bin')) },
  ]);
  await expect(page).toHaveURL(/#\/inspect\/outside-[0-9a-f]+$/);
  await expect(page.getByTestId('inspect-outside')).toContainText('trained elsewhere: model.json');
  await expect(page.getByTestId('unit-grid')).toHaveAttribute('data-dead', '1');
  expect(errors).toEqual([]);
});
