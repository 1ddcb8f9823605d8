/**
 * How the desktop app loads a drop: the engine reads the files where they are, so the drop
 * becomes a dataset.load source built from the files' paths on disk. (In a browser the files
 * are uploaded instead and the engine picks the reader itself, by the same rules.)
 */
import type { DatasetSource } from '@contract';

export type DropKind = 'idx' | 'csv' | 'numpy' | 'images';
/** A source read from disk (every kind but the built-ins). */
export type FileSource = Exclude<DatasetSource, { kind: 'builtin' }>;

const IDX_FILE = /idx\d-ubyte(\.gz)?$/i;
const CSV_FILE = /\.(csv|tsv)$/i;
const NUMPY_FILE = /\.(npz|npy)$/i;
const IMAGE_FILE = /\.(png|jpe?g)$/i;
/** The engine reads at most this many IDX files named in one source (two splits × two files, with room). */
const MAX_IDX_FILES = 16;

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/** The reader a set of dropped paths needs, by the engine's rules: IDX names, else a CSV, else images in sub-folders. */
export function detectKind(paths: readonly string[]): DropKind | null {
  if (paths.some((p) => IDX_FILE.test(baseName(p)))) return 'idx';
  if (paths.some((p) => CSV_FILE.test(baseName(p)))) return 'csv';
  if (paths.some((p) => NUMPY_FILE.test(baseName(p)))) return 'numpy';
  if (paths.some((p) => IMAGE_FILE.test(baseName(p)) && p.split('/').length >= 2)) return 'images';
  return null;
}

export interface LocatedFile {
  /** Relative to the drop, '/'-separated. */
  path: string;
  /** Where it is on disk (the desktop app's webUtils.getPathForFile). */
  absolute: string;
}

/**
 * The folder on disk `up` levels above the file's drop-relative path: "/data/cats/a/1.png"
 * with relative path "cats/a/1.png" lies in "/data/cats" (up = 1, the dropped folder) and
 * in "/data" (up = 0, the folder it was dropped from).
 */
export function folderOf(file: LocatedFile, up: 0 | 1): string | null {
  const segments = file.path.split('/');
  const separator = file.absolute.includes('\\') && !file.absolute.includes('/') ? '\\' : '/';
  const parts = file.absolute.split(/[\\/]/);
  const keep = parts.length - segments.length + up;
  if (keep < 1 || segments.length <= up) return null;
  return parts.slice(0, keep).join(separator) || separator;
}

/** The dataset.load source for files dropped in the desktop app, or why there is none. */
export function desktopSource(files: readonly LocatedFile[]): { source: FileSource } | { error: string } {
  const first = files[0];
  if (!first) return { error: 'the drop holds no files' };
  const kind = detectKind(files.map((f) => f.path));
  if (kind === 'idx') {
    const idx = files.filter((f) => IDX_FILE.test(baseName(f.path)));
    if (idx.length > MAX_IDX_FILES) return { error: `${baseName(idx[MAX_IDX_FILES]!.path)}: more than ${MAX_IDX_FILES} IDX files in one drop; drop one dataset's train and t10k files` };
    return { source: { kind: 'idx', path: idx[0]!.absolute, files: idx.map((f) => f.absolute) } };
  }
  if (kind === 'csv') {
    const csv = files.find((f) => CSV_FILE.test(baseName(f.path)))!;
    return { source: { kind: 'csv', path: csv.absolute } };
  }
  if (kind === 'numpy') {
    // An .npz is the dataset; .npy files (x_train.npy, y_train.npy, …) are read as their folder.
    const npz = files.find((f) => /\.npz$/i.test(baseName(f.path)));
    const npy = files.filter((f) => /\.npy$/i.test(baseName(f.path)));
    if (npz) return { source: { kind: 'numpy', path: npz.absolute } };
    const one = npy[0]!;
    if (npy.length === 1) return { source: { kind: 'numpy', path: one.absolute } };
    if (npy.some((f) => f.path.split('/').length !== one.path.split('/').length)) return { error: `${one.path}: drop one folder of .npy files (x_train.npy, y_train.npy, …)` };
    return { source: { kind: 'numpy', path: one.absolute.replace(/[\\/][^\\/]*$/, '') || '/' } };
  }
  if (kind === 'images') {
    // One dropped folder holding class folders is the dataset; class folders dropped together lie in theirs.
    const tops = new Set(files.map((f) => f.path.split('/')[0]));
    const root = tops.size === 1 && files.every((f) => f.path.split('/').length >= 3) ? folderOf(first, 1) : folderOf(first, 0);
    if (!root) return { error: `${first.path}: drop the folder that holds one sub-folder of images per class` };
    return { source: { kind: 'images', path: root } };
  }
  return { error: `${first.path}: not a dataset Trainbench reads (MNIST-style IDX files, a CSV file, a NumPy .npz or .npy file, or a folder with one sub-folder of images per class)` };
}
