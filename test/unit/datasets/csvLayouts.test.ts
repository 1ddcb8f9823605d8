/**
 * CSV files as people have them (issue 17): scikit-learn's own files (a count line over the
 * rows; Debian's python3-sklearn, which .ci/run installs; iris.csv is also in test/fixtures),
 * header and skip choices, missing values, one-hot text columns, per-feature standardisation.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDataset, loadCsv, loadDataset, preparationOf, toFloat32Batch } from '../../../src-main/engine/datasets';
import { write } from './makeFiles';

const SKLEARN = '/usr/lib/python3/dist-packages/sklearn/datasets/data';
const IRIS = join(__dirname, '..', '..', 'fixtures', 'sklearn', 'iris.csv');
const haveSklearn = existsSync(join(SKLEARN, 'wine_data.csv'));
if (!haveSklearn) console.warn(`skipping the scikit-learn CSV files: ${SKLEARN} is absent (apt-get install -y python3-sklearn)`);
const root = mkdtempSync(join(tmpdir(), 'tb-csv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const file = (name: string, text: string): string => write(join(root, `${n++}`, name), text);

describe('scikit-learn CSV files (a count line: samples, features, class names)', () => {
  it('iris.csv: 150 rows of 4 features, classes named by the count line', async () => {
    const ds = await loadCsv(IRIS);
    const s = describeDataset(ds);
    expect(s).toMatchObject({ task: 'classification', inputShape: [4], classNames: ['setosa', 'versicolor', 'virginica'], splits: { train: { count: 150, classHistogram: [50, 50, 50] } }, csv: { countLine: '150,4,setosa,versicolor,virginica', headerLine: null } });
    expect(Array.from(ds.splits.train.x.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(s.warnings).toEqual([]);
  });

  it.skipIf(!haveSklearn)('wine_data.csv (13 features, 3 classes) and breast_cancer.csv (30 features, a 4-field count line)', async () => {
    const wine = describeDataset(await loadCsv(join(SKLEARN, 'wine_data.csv')));
    expect(wine).toMatchObject({ inputShape: [13], classNames: ['class_0', 'class_1', 'class_2'], splits: { train: { count: 178, classHistogram: [59, 71, 48] } } });
    const cancer = describeDataset(await loadCsv(join(SKLEARN, 'breast_cancer.csv')));
    expect(cancer).toMatchObject({ inputShape: [30], classNames: ['malignant', 'benign'], splits: { train: { count: 569, classHistogram: [212, 357] } } });
  });

  it.skipIf(!haveSklearn)('boston_house_prices.csv: trailing-comma count line, quoted header, regression on MEDV', async () => {
    const s = describeDataset(await loadCsv(join(SKLEARN, 'boston_house_prices.csv')));
    expect(s).toMatchObject({ task: 'regression', inputShape: [13], splits: { train: { count: 506 } }, csv: { headerLine: 2, labelColumn: 'MEDV' } });
    expect(s.featureNames?.slice(0, 3)).toEqual(['CRIM', 'ZN', 'INDUS']);
  });

  it('header "none" reads the count line as a row, and the class names make those columns text', async () => {
    await expect(loadCsv(IRIS, { header: 'none' })).rejects.toThrow(/^iris\.csv:2:9: 1\.4 in column 3, a column of text \("setosa" above\)/);
  });
});

describe('CSV layout choices', () => {
  it('sniffs semicolons with decimal commas and tabs', async () => {
    const semi = await loadCsv(file('de.csv', 'a;b;label\n"1,5";2;0\n3;4;1\n5;6;0\n'), { labelColumn: 'label' });
    expect(semi.csv?.delimiter).toBe(';');
    const tab = await loadCsv(file('t.tsv', 'a\tb\tlabel\n1\t2\t0\n3\t4\t1\n'));
    expect(describeDataset(tab)).toMatchObject({ featureNames: ['a', 'b'], csv: { delimiter: '\t' } });
  });

  it('whole numbers 0–255 (pixels, as Kaggle MNIST CSVs hold them) are stored as bytes; others as f32', async () => {
    const pixels = await loadCsv(file('pixels.csv', 'label,pixel1,pixel2\n3,0,255\n1,17,4\n'));
    expect(pixels.elementType).toBe('u8');
    expect(Array.from(pixels.splits.train.x)).toEqual([0, 255, 17, 4]);
    expect(describeDataset(pixels).flags.unnormalized).toBe(true);
    expect((await loadCsv(file('floats.csv', 'label,a,b\n3,0,255\n1,0.5,4\n'))).elementType).toBe('f32');
    expect((await loadCsv(file('wide.csv', 'label,a,b\n3,0,256\n1,1,4\n'))).elementType).toBe('f32');
  });

  it('skips lines, takes header row N, and names the label by index as text', async () => {
    const path = file('notes.csv', 'exported 2024-01-01\nby a tool\nx,y,label\n1.5,2,a\n3.25,4,b\n');
    const skipped = describeDataset(await loadCsv(path, { skipLines: 2 }));
    expect(skipped).toMatchObject({ featureNames: ['x', 'y'], classNames: ['a', 'b'], csv: { skippedLines: 2, headerLine: 3 } });
    const byRow = describeDataset(await loadCsv(path, { header: 3, labelColumn: '0' }));
    expect(byRow).toMatchObject({ task: 'regression', featureNames: ['y', 'label=a', 'label=b'], csv: { headerLine: 3, labelColumn: 'x' } });
    const auto = describeDataset(await loadCsv(path));
    expect(auto).toMatchObject({ featureNames: ['x', 'y'], splits: { train: { count: 2 } }, csv: { headerLine: 3 } });
  });

  it('missing values: NA, NaN, ? and empty counted; filled with the mean or the most frequent value', async () => {
    const path = file('holes.csv', 'h,w,colour,label\n1,NA,red,0\n3,10,?,1\nNaN,20,red,0\n5,30,blue,1\n,40,red,\n');
    const dropped = describeDataset(await loadCsv(path));
    expect(dropped.splits.train.count).toBe(1);
    expect(dropped.csv?.missing).toEqual({ policy: 'drop', rows: 4, labels: 1, columns: [{ column: 'h', count: 2 }, { column: 'w', count: 1 }, { column: 'colour', count: 1 }] });
    expect(dropped.warnings[0]).toMatch(/4 of 5 rows had missing values \(2 in "h", 1 in "w", 1 in "colour"; 1 missing label \(those rows dropped\)\) and were dropped; choose "fill"/);
    const ds = await loadCsv(path, { missing: 'fill' });
    const s = describeDataset(ds);
    expect(s.splits.train.count).toBe(4);
    expect(s.featureNames).toEqual(['h', 'w', 'colour=blue', 'colour=red']);
    expect(s.csv?.missing.columns).toEqual([
      { column: 'h', count: 2, filledWith: 3 },
      { column: 'w', count: 1, filledWith: 25 },
      { column: 'colour', count: 1, filledWith: 'red' },
    ]);
    expect(Array.from(ds.splits.train.x)).toEqual([1, 25, 0, 1, 3, 10, 0, 1, 3, 20, 0, 1, 5, 30, 1, 0]);
  });

  it('one-hot columns are stored in run.json with per-feature standardisation', async () => {
    const path = file('mixed.csv', 'metres,grams,colour,label\n1,1000,red,0\n2,3000,green,1\n3,5000,red,0\n');
    const ds = await loadDataset({ kind: 'csv', path }, { normalization: 'standardize' });
    const s = describeDataset(ds);
    expect(s).toMatchObject({ standardization: 'per-feature', csv: { oneHot: [{ column: 'colour', values: ['green', 'red'] }] } });
    // Each feature to mean 0, std 1: metres and grams alike (one mean/std over both would leave metres near -1).
    const x = toFloat32Batch(ds, 'train', [0, 1, 2]);
    for (let f = 0; f < 4; f++) {
      const col = [x[f]!, x[4 + f]!, x[8 + f]!];
      const mean = col.reduce((a, b) => a + b) / 3;
      expect(Math.abs(mean)).toBeLessThan(1e-6);
      expect(Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 3)).toBeCloseTo(1, 5);
    }
    const prep = preparationOf(ds);
    expect(prep.standardization).toMatchObject({ perFeature: true, mean: [2, 3000, 1 / 3, 2 / 3] });
    expect(prep.csv?.oneHot).toEqual([{ column: 'colour', values: ['green', 'red'] }]);
  });
});
