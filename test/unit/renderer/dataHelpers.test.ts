/**
 * The Data screen's pure parts: chunking and streaming an upload, walking a dropped folder,
 * naming a drop, choosing the desktop source, histogram bars, pixels and the scatter plot.
 */
import { describe, expect, it } from 'vitest';
import { UPLOAD_CHUNK_BYTES, type Bridge, type LoadedDataset } from '@contract';
import { chunkRanges, uploadFiles, UploadCancelled } from '@renderer/features/data/uploadChunks';
import { dropName, filesFromInput, filesOfDrop, walkEntries, type DroppedFile, type WalkEntry } from '@renderer/features/data/droppedFiles';
import { desktopSource, detectKind, folderOf } from '@renderer/features/data/dropPlan';
import { describeBalance, histogramBars } from '@renderer/features/data/histogramBars';
import { toRgba } from '@renderer/features/data/pixels';
import { classColour, project, scatterExtent, targetColour } from '@renderer/features/data/scatter';
import { formatBytes, formatProgress, formatRange, formatShape, percent } from '@renderer/features/data/format';

const MiB = 1024 * 1024;

describe('chunkRanges', () => {
  it('covers a file in order with chunks of at most 1 MiB', () => {
    const size = 26_421_880; // Fashion-MNIST's train-images-idx3-ubyte.gz
    const ranges = chunkRanges(size);
    expect(ranges).toHaveLength(Math.ceil(size / MiB));
    expect(ranges.every((r) => r.length > 0 && r.length <= UPLOAD_CHUNK_BYTES)).toBe(true);
    let next = 0;
    for (const r of ranges) {
      expect(r.offset).toBe(next);
      next += r.length;
    }
    expect(next).toBe(size);
  });

  it('gives exact multiples whole chunks, an empty file none, and refuses nonsense', () => {
    expect(chunkRanges(2 * MiB)).toEqual([
      { offset: 0, length: MiB },
      { offset: MiB, length: MiB },
    ]);
    expect(chunkRanges(0)).toEqual([]);
    expect(chunkRanges(5, 2)).toEqual([
      { offset: 0, length: 2 },
      { offset: 2, length: 2 },
      { offset: 4, length: 1 },
    ]);
    expect(() => chunkRanges(-1)).toThrow(RangeError);
    expect(() => chunkRanges(10, 0)).toThrow(RangeError);
  });
});

/** A bridge that records the upload calls and answers them as the engine does. */
function uploadBridge(options: { failChunk?: number; onChunk?: (n: number) => void; hangChunk?: number; hangFinish?: boolean } = {}): { bridge: Bridge; calls: { channel: string; payload: Record<string, unknown> }[] } {
  const calls: { channel: string; payload: Record<string, unknown> }[] = [];
  let chunks = 0;
  let received = 0;
  const bridge = {
    host: 'serve',
    pathForFile: () => null,
    on: () => () => undefined,
    async request(channel: string, payload: Record<string, unknown>): Promise<unknown> {
      calls.push({ channel, payload });
      if (channel === 'dataset.upload.begin') return { uploadId: 'u1' };
      if (channel === 'dataset.upload.chunk') {
        chunks++;
        options.onChunk?.(chunks);
        if (chunks === options.failChunk) throw new Error('b.bin: chunk at 0 does not follow');
        if (chunks === options.hangChunk) return new Promise(() => undefined);
        received += (payload['data'] as Uint8Array).length;
        return { received };
      }
      if (channel === 'dataset.upload.cancel') return { cancelled: true };
      if (channel === 'dataset.upload.finish') return options.hangFinish ? new Promise(() => undefined) : ({ summary: { id: 'ds' }, preview: [] } as unknown as LoadedDataset);
      throw new Error(`unexpected ${channel}`);
    },
  } as unknown as Bridge;
  return { bridge, calls };
}

const fileOf = (size: number, name: string, fill = 7): File => new File([new Uint8Array(size).fill(fill)], name);

describe('uploadFiles', () => {
  it('begins with every path and size, sends each file in order in ≤ 1 MiB chunks, then finishes', async () => {
    const files: DroppedFile[] = [
      { file: fileOf(2 * MiB + 10, 'a.bin', 1), path: 'set/a.bin' },
      { file: fileOf(0, 'empty.bin'), path: 'set/empty.bin' },
      { file: fileOf(300, 'b.bin', 2), path: 'set/b.bin' },
    ];
    const { bridge, calls } = uploadBridge();
    const progress: number[] = [];
    const result = await uploadFiles(bridge, files, { name: 'set', normalization: 'divide255', onProgress: (p) => p.phase === 'upload' && progress.push(p.done) });
    expect(result.summary.id).toBe('ds');
    expect(calls[0]).toEqual({ channel: 'dataset.upload.begin', payload: { name: 'set', files: [{ path: 'set/a.bin', size: 2 * MiB + 10 }, { path: 'set/empty.bin', size: 0 }, { path: 'set/b.bin', size: 300 }] } });
    const chunks = calls.filter((c) => c.channel === 'dataset.upload.chunk').map((c) => ({ file: c.payload['file'], offset: c.payload['offset'], length: (c.payload['data'] as Uint8Array).length, first: (c.payload['data'] as Uint8Array)[0] }));
    expect(chunks).toEqual([
      { file: 0, offset: 0, length: MiB, first: 1 },
      { file: 0, offset: MiB, length: MiB, first: 1 },
      { file: 0, offset: 2 * MiB, length: 10, first: 1 },
      { file: 2, offset: 0, length: 300, first: 2 },
    ]);
    expect(calls.at(-1)).toEqual({ channel: 'dataset.upload.finish', payload: { uploadId: 'u1', kind: 'auto', normalization: 'divide255' } });
    expect(progress).toEqual([0, MiB, 2 * MiB, 2 * MiB + 10, 2 * MiB + 310]);
  });

  it('stops after the chunk in flight when cancelled, and cancels the upload in the engine', async () => {
    const abort = new AbortController();
    const { bridge, calls } = uploadBridge({ onChunk: (n) => n === 2 && abort.abort() });
    const files: DroppedFile[] = [{ file: fileOf(5 * MiB, 'big.bin'), path: 'big.bin' }];
    await expect(uploadFiles(bridge, files, { name: 'big', signal: abort.signal })).rejects.toBeInstanceOf(UploadCancelled);
    expect(calls.filter((c) => c.channel === 'dataset.upload.chunk')).toHaveLength(2);
    expect(calls.at(-1)).toEqual({ channel: 'dataset.upload.cancel', payload: { uploadId: 'u1' } });
    expect(calls.some((c) => c.channel === 'dataset.upload.finish')).toBe(false);
  });

  it('cancels at once while a chunk waits for its answer', async () => {
    const abort = new AbortController();
    const { bridge, calls } = uploadBridge({ hangChunk: 3 });
    const progress: number[] = [];
    const upload = uploadFiles(bridge, [{ file: fileOf(5 * MiB, 'big.bin'), path: 'big.bin' }], {
      name: 'big',
      signal: abort.signal,
      onProgress: (p) => {
        progress.push(p.done);
        if (p.done === 2 * MiB) setTimeout(() => abort.abort(), 10);
      },
    });
    await expect(upload).rejects.toBeInstanceOf(UploadCancelled);
    expect(calls.filter((c) => c.channel === 'dataset.upload.chunk')).toHaveLength(3);
    expect(calls.at(-1)).toEqual({ channel: 'dataset.upload.cancel', payload: { uploadId: 'u1' } });
    expect(progress).toEqual([0, MiB, 2 * MiB]);
  });

  it('cancels while the engine decodes: the cancel reaches the engine, the load rejects at once', async () => {
    const abort = new AbortController();
    const { bridge, calls } = uploadBridge({ hangFinish: true });
    const upload = uploadFiles(bridge, [{ file: fileOf(10, 'pets.zip'), path: 'pets/a.png' }], { name: 'pets', signal: abort.signal, onProgress: (p) => p.phase === 'decode' && setTimeout(() => abort.abort(), 10) });
    await expect(upload).rejects.toBeInstanceOf(UploadCancelled);
    expect(calls.map((c) => c.channel).slice(-2)).toEqual(['dataset.upload.finish', 'dataset.upload.cancel']);
  });

  it('cancels the engine side and passes the error on when a chunk is refused', async () => {
    const { bridge, calls } = uploadBridge({ failChunk: 1 });
    await expect(uploadFiles(bridge, [{ file: fileOf(10, 'b.bin'), path: 'b.bin' }], { name: 'b' })).rejects.toThrow(/^b\.bin: /);
    expect(calls.at(-1)?.channel).toBe('dataset.upload.cancel');
  });
});

/** A fake FileSystemEntry tree: names map to sizes (files) or to sub-trees (folders). */
type Tree = { [name: string]: number | Tree };
function entry(name: string, node: number | Tree, batch = 2): WalkEntry {
  if (typeof node === 'number') return { name, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(fileOf(node, name)) } as WalkEntry;
  const children = Object.entries(node).map(([n, c]) => entry(n, c, batch));
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader() {
      let at = 0;
      // Answers in small batches, as Chromium answers in batches of 100.
      return { readEntries: (ok: (e: WalkEntry[]) => void) => setTimeout(() => ok(children.slice(at, (at += batch))), 0) };
    },
  } as WalkEntry;
}

describe('walking a dropped folder', () => {
  it('lists every file depth first, siblings by name, with paths relative to the drop, hidden files skipped', async () => {
    const drop = [entry('pets', { dog: { 'b.png': 3, 'a.png': 2, '.DS_Store': 1 }, cat: { 'z.png': 4, 'c.jpg': 5, 'd.png': 6 }, 'README.md': 7 }), entry('extra.csv', 8)];
    const files = await walkEntries(drop);
    expect(files.map((f) => f.path)).toEqual(['extra.csv', 'pets/README.md', 'pets/cat/c.jpg', 'pets/cat/d.png', 'pets/cat/z.png', 'pets/dog/a.png', 'pets/dog/b.png']);
    expect(files.map((f) => f.file.size)).toEqual([8, 7, 5, 6, 4, 2, 3]);
  });

  it('refuses a drop with more files than the limit', async () => {
    await expect(walkEntries([entry('many', { a: 1, b: 1, c: 1 })], 2)).rejects.toThrow(/^many\/c: the drop holds more than 2 files/);
  });

  it('takes files without entries (a scripted DataTransfer) and files from the open dialogs', async () => {
    const loose = [fileOf(1, 'train-labels-idx1-ubyte.gz'), fileOf(1, 'train-images-idx3-ubyte.gz')];
    const files = await filesOfDrop({ entries: [entry('t10k', { 'x.csv': 1 })], loose });
    expect(files.map((f) => f.path)).toEqual(['t10k/x.csv', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    const fromFolder = [Object.assign(fileOf(1, 'b.png'), { webkitRelativePath: 'pets/dog/b.png' }), Object.assign(fileOf(1, '.hidden'), { webkitRelativePath: 'pets/.hidden' })];
    expect(filesFromInput(fromFolder).map((f) => f.path)).toEqual(['pets/dog/b.png']);
  });
});

describe('dropName', () => {
  const named = (...paths: string[]): DroppedFile[] => paths.map((path) => ({ path, file: fileOf(0, path.split('/').pop()!) }));
  it('names a drop by its folder, its one file, or what its files are', () => {
    expect(dropName(named('fashion-mnist/train-images-idx3-ubyte.gz', 'fashion-mnist/train-labels-idx1-ubyte.gz'))).toBe('fashion-mnist');
    expect(dropName(named('iris.csv'))).toBe('iris.csv');
    expect(dropName(named('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'))).toBe('IDX train + t10k (4 files)');
    expect(dropName(named('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'))).toBe('IDX train (2 files)');
    expect(dropName(named('a.csv', 'b.csv', 'c.csv'))).toBe('a.csv and 2 more');
    expect(dropName([])).toBe('empty drop');
  });
});

describe('the desktop source of a drop', () => {
  it('detects the reader as the engine does', () => {
    expect(detectKind(['x/train-images-idx3-ubyte.gz', 'x/notes.csv'])).toBe('idx');
    expect(detectKind(['data.CSV'])).toBe('csv');
    expect(detectKind(['pets/cat/1.png', 'pets/dog/2.JPEG'])).toBe('images');
    expect(detectKind(['loose.png'])).toBeNull();
    expect(detectKind(['notes.txt'])).toBeNull();
  });

  it('names the IDX files themselves, the CSV file, or the folder of class folders', () => {
    const idx = desktopSource([
      { path: 't10k-images-idx3-ubyte.gz', absolute: '/d/t10k-images-idx3-ubyte.gz' },
      { path: 'readme.txt', absolute: '/d/readme.txt' },
      { path: 'train-images-idx3-ubyte.gz', absolute: '/d/train-images-idx3-ubyte.gz' },
    ]);
    expect(idx).toEqual({ source: { kind: 'idx', path: '/d/t10k-images-idx3-ubyte.gz', files: ['/d/t10k-images-idx3-ubyte.gz', '/d/train-images-idx3-ubyte.gz'] } });
    expect(desktopSource([{ path: 'iris/iris.csv', absolute: '/home/me/iris/iris.csv' }])).toEqual({ source: { kind: 'csv', path: '/home/me/iris/iris.csv' } });
    // One dropped folder of class folders…
    expect(desktopSource([{ path: 'pets/cat/1.png', absolute: '/home/me/pets/cat/1.png' }])).toEqual({ source: { kind: 'images', path: '/home/me/pets' } });
    // …or the class folders themselves, dropped together: the folder they are in.
    expect(
      desktopSource([
        { path: 'cat/1.png', absolute: '/home/me/pets/cat/1.png' },
        { path: 'dog/1.png', absolute: '/home/me/pets/dog/1.png' },
      ]),
    ).toEqual({ source: { kind: 'images', path: '/home/me/pets' } });
    expect(desktopSource([{ path: 'notes.txt', absolute: '/n/notes.txt' }])).toEqual({ error: expect.stringMatching(/^notes\.txt: not a dataset Trainbench reads/) });
    expect(desktopSource([])).toEqual({ error: 'the drop holds no files' });
  });

  it('finds folders on Windows paths too', () => {
    expect(folderOf({ path: 'pets/cat/1.png', absolute: 'C:\\Users\\me\\pets\\cat\\1.png' }, 1)).toBe('C:\\Users\\me\\pets');
    expect(folderOf({ path: 'cat/1.png', absolute: '/cat/1.png' }, 0)).toBe('/');
    expect(folderOf({ path: '1.png', absolute: '/x/1.png' }, 1)).toBeNull();
  });
});

describe('histogram bars', () => {
  it('scales to the largest class, keeps a rare class visible and an empty one empty', () => {
    const bars = histogramBars([6000, 3000, 6, 0], ['a', 'b', 'c', 'd'], [1000, 500, 1, 0]);
    expect(bars.map((b) => b.length)).toEqual([1, 0.5, 0.01, 0]);
    expect(bars.map((b) => b.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(bars[1]!.share).toBeCloseTo(3000 / 9006);
    expect(bars[2]!.testCount).toBe(1);
  });

  it('names classes by index when the dataset has no names, and survives all-empty counts', () => {
    expect(histogramBars([0, 0], null).map((b) => [b.name, b.length, b.share])).toEqual([
      ['0', 0, 0],
      ['1', 0, 0],
    ]);
  });

  it('says how balanced the classes are', () => {
    expect(describeBalance(Array(10).fill(6000))).toBe('10 classes of 6,000');
    expect(describeBalance([5421, 6742])).toBe('2 classes, 5,421–6,742 each');
    expect(describeBalance([])).toBe('no classes');
  });
});

describe('pixels and the scatter plot', () => {
  it('turns grayscale and RGB bytes into opaque RGBA', () => {
    expect(Array.from(toRgba(new Uint8Array([0, 128]), 2, 1, 1))).toEqual([0, 0, 0, 255, 128, 128, 128, 255]);
    expect(Array.from(toRgba(new Uint8Array([1, 2, 3]), 1, 1, 3))).toEqual([1, 2, 3, 255]);
    expect(() => toRgba(new Uint8Array(3), 2, 2, 1)).toThrow(RangeError);
  });

  it('fits the points with a margin, y up, and handles degenerate sets', () => {
    const e = scatterExtent([
      [-1, 0],
      [1, 2],
    ]);
    expect(e).toEqual({ xmin: -1.1, xmax: 1.1, ymin: -0.1, ymax: 2.1 });
    expect(project(-1.1, 2.1, e, 100, 100)).toEqual([0, 0]);
    expect(project(1.1, -0.1, e, 100, 100)).toEqual([100, 100]);
    expect(scatterExtent([[3, 3]])).toEqual({ xmin: 2, xmax: 4, ymin: 2, ymax: 4 });
    expect(scatterExtent([])).toEqual({ xmin: -1, xmax: 1, ymin: -1, ymax: 1 });
  });

  it('colours classes cyclically and targets along a ramp', () => {
    expect(classColour(0)).toBe(classColour(10));
    expect(classColour(1)).not.toBe(classColour(0));
    expect(targetColour(0, 0, 1)).toBe('rgb(68, 1, 84)');
    expect(targetColour(1, 0, 1)).toBe('rgb(253, 231, 37)');
    expect(targetColour(5, 0, 1)).toBe('rgb(253, 231, 37)');
  });
});

describe('formatting', () => {
  it('writes shapes, ranges, sizes and progress as the screen shows them', () => {
    expect(formatShape([28, 28, 1])).toBe('28×28×1');
    expect(formatRange(0, 255)).toBe('0 – 255');
    expect(formatRange(-1.23456, 0.5)).toBe('-1.235 – 0.5');
    expect(formatBytes(26_421_880)).toBe('26.4 MB');
    expect(formatBytes(512)).toBe('512 B');
    expect(percent(5, 0)).toBe(0);
    expect(formatProgress(13_210_940, 26_421_880)).toBe('13.2 MB of 26.4 MB (50 %)');
  });
});
