/**
 * Malformed datasets sent to the engine process (issue 9): the in-process table
 * (test/unit/datasets/datasetTable.test.ts) proves each error; here a corpus of them goes
 * through dataset.load to the real engine, which must refuse each naming the file, stay the
 * same process, load nothing, and not grow: tensors unchanged, RSS within 64 MB of where it
 * began (no allocation of what a header claims: one file declares 16 GB, one is a gzip bomb).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSource, EngineInfo, EngineMemory } from '@contract';
import type { EngineHost } from '../../src-main/host/engineHost';
import { startHost } from '../support/engine';
import { recordCases } from '../support/reliability';
import { gz, idx, idxHeader, labels, pixels, png, TYPE, write } from '../unit/datasets/makeFiles';
import { numpyPython, runNumpy } from '../support/numpyFiles';

/** Files numpy wrote (Debian's python3-numpy), for the NumPy cases; none where numpy is missing. */
function numpyFiles(dir: string): { npz: string; bomb: string; npy: string } {
  mkdirSync(dir, { recursive: true });
  runNumpy(dir, "np.savez_compressed(os.path.join(out, 'bomb.npz'), x_train=np.zeros(48 * 1024 * 1024, dtype=np.uint8), y_train=np.arange(4))\nnp.save(os.path.join(out, 'x.npy'), np.zeros((4, 28, 28), dtype=np.float32))");
  return { npz: join(dir, 'bomb.npz'), bomb: join(dir, 'bomb.npz'), npy: join(dir, 'x.npy') };
}
const haveNumpy = !('missing' in numpyPython());

const root = mkdtempSync(join(tmpdir(), 'tb-malformed-'));
const MB = 1024 * 1024;
let host: EngineHost;
beforeAll(async () => {
  host = startHost();
  await host.start();
});
afterAll(() => {
  host.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** An MNIST-named folder whose images file is `images` (labels valid): the loader reads the folder. */
function imagesFile(dir: string, images: Buffer, gzipped = false): { source: DatasetSource; file: string } {
  const name = gzipped ? 'train-images-idx3-ubyte.gz' : 'train-images-idx3-ubyte';
  write(join(dir, name), images);
  write(join(dir, 'train-labels-idx1-ubyte'), idx('u8', [4], labels(4, 2)));
  return { source: { kind: 'idx', path: dir }, file: name };
}

/** Each case writes its files under `dir` and returns the source to load and the file the error must name. */
const cases: { name: string; make: (dir: string) => { source: DatasetSource; file: string } }[] = [
  ...[0, 3, 5, 9, 15].map((k) => ({ name: `idx header cut at byte ${k}`, make: (d: string) => imagesFile(d, idx('u8', [4, 28, 28], pixels(4 * 784)).subarray(0, k)) })),
  { name: 'bad magic', make: (d) => imagesFile(d, Buffer.concat([Buffer.from([1, 2, 8, 3]), Buffer.alloc(12)])) },
  { name: '16 GB declared in a 1 KB file', make: (d) => imagesFile(d, Buffer.concat([idxHeader(TYPE.u8, [65536, 512, 512]), Buffer.alloc(1000)])) },
  { name: 'dims overflowing 32 bits', make: (d) => imagesFile(d, idxHeader(TYPE.u8, [0xffffffff, 0xffffffff, 0xffffffff])) },
  { name: 'gzip bomb under a small header', make: (d) => imagesFile(d, gz(Buffer.concat([idxHeader(TYPE.u8, [4, 28, 28]), Buffer.alloc(64 * MB)])), true) },
  {
    name: 'mismatched counts',
    make: (d) => {
      write(join(d, 'pair', 'train-images-idx3-ubyte'), idx('u8', [10, 28, 28], pixels(10 * 784)));
      write(join(d, 'pair', 'train-labels-idx1-ubyte'), idx('u8', [9], labels(9, 10)));
      return { source: { kind: 'idx', path: join(d, 'pair') }, file: 'train-' };
    },
  },
  { name: 'ragged CSV', make: (d) => ({ source: { kind: 'csv', path: write(join(d, 'ragged.csv'), 'a,b,c\n1,2,0\n3,4\n') }, file: 'ragged.csv' }) },
  { name: 'ragged CSV after quoting', make: (d) => ({ source: { kind: 'csv', path: write(join(d, 'quoted.csv'), 'a,b,label\n"1,5",2,0\n"3",4,"1,2",1\n') }, file: 'quoted.csv:3:1' }) },
  ...(haveNumpy
    ? [
        {
          name: 'zip bomb inside an npz (48 MB declared as 4 KB)',
          make: (d: string) => {
            const { bomb } = numpyFiles(join(d, 'np'));
            const bytes = readFileSync(bomb);
            // The x_train member's uncompressed size in the central directory: 4 KB.
            const at = bytes.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x01, 0x02])]));
            bytes.writeUInt32LE(4096, at + 24);
            writeFileSync(bomb, bytes);
            return { source: { kind: 'numpy' as const, path: bomb }, file: 'bomb.npz/x_train.npy' };
          },
        },
        {
          name: 'npy header claiming more than the file holds',
          make: (d: string) => {
            const { npy } = numpyFiles(join(d, 'np'));
            writeFileSync(npy, readFileSync(npy).subarray(0, 3000));
            return { source: { kind: 'numpy' as const, path: npy }, file: 'x.npy' };
          },
        },
      ]
    : []),
  { name: 'binary garbage as CSV', make: (d) => ({ source: { kind: 'csv', path: write(join(d, 'garbage.csv'), Buffer.from(pixels(4096, 7))) }, file: 'garbage.csv' }) },
  {
    name: 'corrupt PNG in an image folder',
    make: (d) => {
      write(join(d, 'img', 'cats', 'a.png'), png(4, 4, () => [1, 2, 3]));
      write(join(d, 'img', 'dogs', 'b.png'), png(4, 4, () => [1, 2, 3]).subarray(0, 40));
      return { source: { kind: 'images', path: join(d, 'img') }, file: 'dogs/b.png' };
    },
  },
  {
    name: 'symlink loop in an image folder',
    make: (d) => {
      write(join(d, 'loop', 'cats', 'a.png'), png(4, 4, () => [1, 2, 3]));
      mkdirSync(join(d, 'loop', 'dogs'), { recursive: true });
      symlinkSync(join(d, 'loop'), join(d, 'loop', 'dogs', 'back'));
      return { source: { kind: 'images', path: join(d, 'loop') }, file: 'dogs/back' };
    },
  },
];

describe('malformed datasets through the engine process', () => {
  it('refuses each naming the file; the engine stays alive, loads nothing and does not grow', async () => {
    const info = (await host.request('engine.info', {})) as EngineInfo;
    const before = (await host.request('engine.memory', {})) as EngineMemory;
    let passed = 0;
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      const dir = join(root, `c${i}`);
      mkdirSync(dir, { recursive: true });
      const { source, file } = c.make(dir);
      const outcome = await host.request('dataset.load', { source }).then(
        () => 'loaded',
        (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`,
      );
      if (/^(failed|invalid-payload): /.test(outcome) && outcome.includes(file)) passed++;
      else failures.push(`${c.name} → ${outcome.slice(0, 200)}`);
    }
    const after = (await host.request('engine.memory', {})) as EngineMemory;
    const alive = ((await host.request('engine.info', {})) as EngineInfo).pid === info.pid;
    recordCases('malformed datasets', cases.length, alive ? passed : 0);
    expect(failures).toEqual([]);
    expect(alive).toBe(true);
    expect(await host.request('dataset.list', {})).toEqual([]);
    expect(after.numTensors).toBe(before.numTensors);
    expect((after.rssBytes - before.rssBytes) / MB).toBeLessThan(64);
  });
});
