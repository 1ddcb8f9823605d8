/**
 * .npy and .npz files as numpy writes them (issue 17): keras-style x_train/y_train/x_test/y_test
 * archives stored and deflated, every dtype the reader takes in both byte orders, Fortran
 * order, one-hot labels, a folder of .npy files, and object arrays refused (never unpickled).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDataset, loadDataset, loadNumpy, readNpy, readNpz } from '../../../src-main/engine/datasets';
import { numpyPython, runNumpy } from '../../support/numpyFiles';

const py = numpyPython();
if ('missing' in py) console.warn(`skipping the NumPy file tests: ${py.missing}`);
const root = mkdtempSync(join(tmpdir(), 'tb-numpy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf('missing' in py)('NumPy files written by numpy', () => {
  beforeAll(() => {
    runNumpy(
      root,
      `
rng = np.random.default_rng(1)
xtr = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8); ytr = (np.arange(20) % 10).astype(np.uint8)
xte = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8); yte = (np.arange(6) % 10).astype(np.uint8)
np.savez(os.path.join(out, 'mnist.npz'), x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
np.savez_compressed(os.path.join(out, 'mnist-deflated.npz'), x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
np.save(os.path.join(out, 'xtr.npy'), xtr)
table = np.array([[0.5, -1.25, 2.0, 1.5, 3.25, -4.0, 7.0, 0.125, 9.5, 1.0, 2.0, 3.0]], dtype='<f8').reshape(4, 3)
for code in ['u1', 'i1', 'i2', 'i4', 'i8', 'f2', 'f4', 'f8', 'b1']:
    for order in ['<', '>']:
        dt = np.dtype(code).newbyteorder(order) if np.dtype(code).itemsize > 1 else np.dtype(code)
        vals = np.array([[1, 0, 3], [4, 5, 0], [7, 8, 9], [0, 11, 12]]) if code != 'b1' else np.array([[1, 0, 1], [0, 0, 1], [1, 1, 1], [0, 1, 0]])
        if code[0] == 'i': vals = vals * -1
        if code[0] == 'f': vals = table
        np.savez(os.path.join(out, f'dtype-{code}-{"le" if order == "<" else "be"}.npz'), x=vals.astype(dt), y=np.array([0, 1, 0, 1], dtype=np.int64))
np.savez(os.path.join(out, 'fortran.npz'), x_train=np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)), y_train=np.array([1.5, 2.5]))
np.savez(os.path.join(out, 'onehot.npz'), x=np.eye(3, dtype=np.float32), y=np.eye(3, dtype=np.float32)[[2, 0, 1]])
np.save(os.path.join(out, 'table.npy'), np.array([[0.1, 0.2, 1], [0.3, 0.4, 0], [0.5, 0.6, 1], [0.7, 0.8, 0]]))
os.mkdir(os.path.join(out, 'split'))
np.save(os.path.join(out, 'split', 'x_train.npy'), np.ones((5, 2), dtype=np.float32)); np.save(os.path.join(out, 'split', 'y_train.npy'), np.array([0, 1, 0, 1, 1]))
np.savez(os.path.join(out, 'objects.npz'), x_train=np.array([{'a': 1}, None], dtype=object), y_train=np.array([0, 1]))
np.save(os.path.join(out, 'objects.npy'), np.array([[1, 'a']], dtype=object), allow_pickle=True)
np.savez(os.path.join(out, 'text.npz'), x=np.array([[1.0], [2.0]]), y=np.array(['cat', 'dog']))
`,
    );
  });

  it('keras.datasets.mnist layout: x_train, y_train, x_test, y_test, stored and deflated', async () => {
    for (const name of ['mnist.npz', 'mnist-deflated.npz']) {
      const ds = await loadDataset({ kind: 'numpy', path: join(root, name) });
      expect(describeDataset(ds)).toMatchObject({ source: { kind: 'numpy', files: [name] }, task: 'classification', inputShape: [28, 28, 1], elementType: 'u8', splits: { train: { count: 20 }, test: { count: 6 } }, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
      const direct = await readNpy(join(root, 'xtr.npy'));
      expect(Buffer.from(ds.splits.train.x as Uint8Array).equals(Buffer.from(direct.values as Uint8Array))).toBe(true);
    }
    const archive = await readNpz(join(root, 'mnist-deflated.npz'));
    expect([...archive.keys()].sort()).toEqual(['x_test', 'x_train', 'y_test', 'y_train']);
  });

  it('every dtype in both byte orders gives the same values', async () => {
    const expected: Record<string, number[]> = {
      u1: [1, 0, 3, 4, 5, 0, 7, 8, 9, 0, 11, 12],
      i: [-1, 0, -3, -4, -5, 0, -7, -8, -9, 0, -11, -12],
      f: [0.5, -1.25, 2.0, 1.5, 3.25, -4.0, 7.0, 0.125, 9.5, 1.0, 2.0, 3.0],
      b1: [1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0],
    };
    for (const code of ['u1', 'i1', 'i2', 'i4', 'i8', 'f2', 'f4', 'f8', 'b1']) {
      for (const order of ['le', 'be']) {
        const ds = await loadNumpy(join(root, `dtype-${code}-${order}.npz`));
        expect(Array.from(ds.splits.train.x), `${code} ${order}`).toEqual(expected[code[0] === 'i' ? 'i' : code[0] === 'f' ? 'f' : code]);
        expect(ds.inputShape).toEqual([3]);
        expect(Array.from(ds.splits.train.y)).toEqual([0, 1, 0, 1]);
      }
    }
  });

  it('Fortran order is read as C order; float targets make a regression', async () => {
    const ds = await loadNumpy(join(root, 'fortran.npz'));
    expect(ds.inputShape).toEqual([3, 4, 1]);
    expect(Array.from(ds.splits.train.x)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(ds.task).toBe('regression');
  });

  it('one-hot labels become class indices; a 2-D table takes its last column as the label; a folder of .npy files', async () => {
    expect(Array.from((await loadNumpy(join(root, 'onehot.npz'))).splits.train.y)).toEqual([2, 0, 1]);
    const table = describeDataset(await loadNumpy(join(root, 'table.npy')));
    expect(table).toMatchObject({ inputShape: [2], task: 'classification', classNames: ['0', '1'], splits: { train: { count: 4 } } });
    const folder = describeDataset(await loadDataset({ kind: 'numpy', path: join(root, 'split') }, { normalization: 'standardize' }));
    expect(folder).toMatchObject({ inputShape: [2], splits: { train: { count: 5, classHistogram: [2, 3] } }, source: { files: ['x_train.npy', 'y_train.npy'] }, standardization: 'per-feature' });
  });

  it('object arrays are refused without unpickling; text labels are refused', async () => {
    await expect(loadNumpy(join(root, 'objects.npz'))).rejects.toThrow(/^objects\.npz\/x_train\.npy: holds Python objects \(dtype \|O\), which numpy saves as a pickle; Trainbench never loads pickles/);
    await expect(loadNumpy(join(root, 'objects.npy'))).rejects.toThrow(/^objects\.npy: holds Python objects/);
    await expect(loadNumpy(join(root, 'text.npz'))).rejects.toThrow(/^text\.npz\/y\.npy: holds text \(dtype <U3\)/);
  });
});
