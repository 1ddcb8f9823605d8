/**
 * The loss-fit verdicts of the training set-up, as a table: loss, output layer, dataset, and
 * the field and gist of the expected warning (or none).
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Layer, Loss, type Activation, type DataShape, type LayerInput } from '@contract';
import { inputFit, lossFit } from '@renderer/features/model/lossFit';

const mnist: DataShape = { inputShape: [28, 28, 1], task: 'classification', outputs: 10 };
const xor: DataShape = { inputShape: [2], task: 'classification', outputs: 2 };
const abs: DataShape = { inputShape: [2], task: 'regression', outputs: 1 };

const net = (...layers: LayerInput[]): Layer[] => layers.map((l) => Layer.parse(l));
const hidden: LayerInput = { type: 'dense', units: 8, activation: 'relu' };
const out = (units: number, activation: Activation): LayerInput => ({ type: 'dense', units, activation });
type LossInput = z.input<typeof Loss>;

type Row = { name: string; loss: LossInput; layers: Layer[]; data: DataShape | null; expect: { path: string; severity: 'error' | 'warning'; gist: RegExp; fix?: Record<string, unknown> } | null };

const rows: Row[] = [
  { name: 'MSE on MNIST class labels (situation 3)', loss: { type: 'mse' }, layers: net({ type: 'flatten' }, hidden, out(10, 'sigmoid')), data: mnist, expect: { path: 'training.loss.type', severity: 'warning', gist: /one-hot/, fix: { 'training.loss': { type: 'sparseCategoricalCrossentropy', fromLogits: true }, 'model.layers.2.activation': 'linear' } } },
  { name: 'MAE on two classes with one output', loss: { type: 'mae' }, layers: net(hidden, out(1, 'sigmoid')), data: xor, expect: { path: 'training.loss.type', severity: 'warning', gist: /binaryCrossentropy/, fix: { 'training.loss': { type: 'binaryCrossentropy', fromLogits: false } } } },
  { name: 'MSE on a regression target', loss: { type: 'mse' }, layers: net(hidden, out(1, 'linear')), data: abs, expect: null },
  { name: 'cross-entropy on a regression target', loss: { type: 'sparseCategoricalCrossentropy' }, layers: net(hidden, out(1, 'linear')), data: abs, expect: { path: 'training.loss.type', severity: 'error', gist: /class labels/, fix: { 'training.loss': { type: 'mse' } } } },
  { name: 'sparse CE on a linear output without fromLogits', loss: { type: 'sparseCategoricalCrossentropy' }, layers: net({ type: 'flatten' }, out(10, 'linear')), data: mnist, expect: { path: 'training.loss.fromLogits', severity: 'warning', gist: /expects probabilities/, fix: { 'training.loss.fromLogits': true } } },
  { name: 'sparse CE from logits on a linear output', loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, layers: net({ type: 'flatten' }, out(10, 'linear')), data: mnist, expect: null },
  { name: 'sparse CE on softmax', loss: { type: 'sparseCategoricalCrossentropy' }, layers: net({ type: 'flatten' }, out(10, 'softmax')), data: mnist, expect: null },
  { name: 'softmax then an activation layer: looks through dropout', loss: { type: 'categoricalCrossentropy' }, layers: net({ type: 'flatten' }, out(10, 'linear'), { type: 'activation', activation: 'softmax' }, { type: 'dropout' }), data: mnist, expect: null },
  { name: 'fromLogits over a softmax output', loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, layers: net({ type: 'flatten' }, out(10, 'softmax')), data: mnist, expect: { path: 'training.loss.fromLogits', severity: 'warning', gist: /softmax twice/, fix: { 'training.loss.fromLogits': false } } },
  { name: 'softmax from logits over sigmoid outputs', loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, layers: net({ type: 'flatten' }, out(10, 'sigmoid')), data: mnist, expect: { path: 'training.loss.fromLogits', severity: 'warning', gist: /sigmoid outputs/, fix: { 'model.layers.1.activation': 'linear' } } },
  { name: 'categorical CE on sigmoid outputs', loss: { type: 'categoricalCrossentropy' }, layers: net({ type: 'flatten' }, out(10, 'sigmoid')), data: mnist, expect: { path: 'training.loss.fromLogits', severity: 'warning', gist: /do not sum to 1/, fix: { 'model.layers.1.activation': 'softmax' } } },
  { name: 'binary CE on sigmoid (xor preset)', loss: { type: 'binaryCrossentropy' }, layers: net({ type: 'dense', units: 4, activation: 'tanh' }, out(1, 'sigmoid')), data: xor, expect: null },
  { name: 'binary CE on a linear output without fromLogits', loss: { type: 'binaryCrossentropy' }, layers: net(hidden, out(1, 'linear')), data: xor, expect: { path: 'training.loss.fromLogits', severity: 'warning', gist: /expects probabilities/, fix: { 'training.loss.fromLogits': true } } },
  { name: 'binary CE from logits over sigmoid', loss: { type: 'binaryCrossentropy', fromLogits: true }, layers: net(hidden, out(1, 'sigmoid')), data: xor, expect: { path: 'training.loss.fromLogits', severity: 'warning', gist: /sigmoid twice/ } },
  { name: 'softmax over two units with binary CE', loss: { type: 'binaryCrossentropy' }, layers: net(hidden, out(2, 'softmax')), data: xor, expect: { path: 'training.loss.type', severity: 'warning', gist: /softmax ties them together/, fix: { 'training.loss': { type: 'sparseCategoricalCrossentropy', fromLogits: false } } } },
  { name: 'softmax over one unit with binary CE', loss: { type: 'binaryCrossentropy' }, layers: net(hidden, out(1, 'softmax')), data: xor, expect: { path: 'training.loss.type', severity: 'warning', gist: /always outputs 1/, fix: { 'model.layers.1.activation': 'sigmoid' } } },
  { name: 'dataset unknown: still catches a non-probability output', loss: { type: 'categoricalCrossentropy' }, layers: net(hidden, out(3, 'relu')), data: null, expect: { path: 'training.loss.fromLogits', severity: 'warning', gist: /output is relu/ } },
  { name: 'dataset unknown: MSE passes', loss: { type: 'mse' }, layers: net(hidden, out(3, 'sigmoid')), data: null, expect: null },
];

describe('lossFit', () => {
  for (const row of rows) {
    it(row.name, () => {
      const warnings = lossFit(Loss.parse(row.loss), row.layers, row.data);
      if (!row.expect) {
        expect(warnings).toEqual([]);
        return;
      }
      expect(warnings).toHaveLength(1);
      const [warning] = warnings;
      expect(warning).toMatchObject({ path: row.expect.path, severity: row.expect.severity });
      expect(warning!.message).toMatch(row.expect.gist);
      if (row.expect.fix) expect(warning!.fix?.set).toEqual(row.expect.fix);
    });
  }

  it("puts the engine's issue about the loss first and keeps this module's fix for it", () => {
    const issue = { path: 'training.loss.type', message: 'binaryCrossentropy is for 2 classes; the dataset has 3: use sparseCategoricalCrossentropy' };
    const warnings = lossFit(Loss.parse({ type: 'mse' }), net(hidden, out(3, 'linear')), { inputShape: [2], task: 'classification', outputs: 3 }, [issue, { path: 'model.layers.1.units', message: 'not about the loss' }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: 'training.loss.type', severity: 'error', message: issue.message });
    expect(warnings[0]!.fix?.label).toBe('Use sparse cross-entropy from logits');
  });
});

describe('inputFit', () => {
  it('warns about raw 0–255 pixels and offers to divide by 255', () => {
    expect(inputFit('none', mnist, 'mnist')).toEqual([expect.objectContaining({ path: 'normalization', fix: expect.objectContaining({ set: { normalization: 'divide255' } }) })]);
    expect(inputFit('divide255', mnist, 'mnist')).toEqual([]);
    expect(inputFit('none', xor, 'xor')).toEqual([]);
  });
});
