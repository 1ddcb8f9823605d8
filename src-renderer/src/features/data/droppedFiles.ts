/**
 * What a drop or an open dialog delivers, as a flat list of files with their paths relative to
 * what was dropped: a dropped folder's files keep the folder and its sub-folders (an image
 * folder's sub-folders are its class names).
 */

export interface DroppedFile {
  file: File;
  /** '/'-separated, relative to the drop: "fashion-mnist/train-images-idx3-ubyte.gz". */
  path: string;
}

/** The part of FileSystemEntry walked here (fakes in tests, the browser's entries in the app). */
export interface WalkEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}
interface WalkFileEntry extends WalkEntry {
  file(success: (file: File) => void, failure?: (error: DOMException) => void): void;
}
interface WalkDirectoryEntry extends WalkEntry {
  createReader(): { readEntries(success: (entries: WalkEntry[]) => void, failure?: (error: DOMException) => void): void };
}

/** Most files one drop may hold: the engine's limit for an upload. */
export const MAX_DROPPED_FILES = 100_000;

/** Files the operating system leaves in folders, never part of a dataset. */
export function isHidden(name: string): boolean {
  return name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini';
}

const byName = (a: WalkEntry, b: WalkEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function readAll(dir: WalkDirectoryEntry): Promise<WalkEntry[]> {
  const reader = dir.createReader();
  const all: WalkEntry[] = [];
  return new Promise((resolve, reject) => {
    // readEntries answers in batches (100 at a time in Chromium) until it answers none.
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, (error) => reject(new Error(`${dir.name}: the folder cannot be read (${error.message})`)));
    next();
  });
}

function fileOf(entry: WalkFileEntry, path: string): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, (error) => reject(new Error(`${path}: the file cannot be read (${error.message})`))));
}

/**
 * Every file under the dropped entries, depth first with siblings in name order (so an
 * upload and its error messages are the same whatever order the system lists them in).
 * Hidden files are skipped. Throws past MAX_DROPPED_FILES files.
 */
export async function walkEntries(entries: readonly WalkEntry[], limit: number = MAX_DROPPED_FILES): Promise<DroppedFile[]> {
  const out: DroppedFile[] = [];
  const visit = async (entry: WalkEntry, prefix: string): Promise<void> => {
    if (isHidden(entry.name)) return;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      const children = (await readAll(entry as WalkDirectoryEntry)).sort(byName);
      for (const child of children) await visit(child, path);
    } else if (entry.isFile) {
      if (out.length >= limit) throw new Error(`${path}: the drop holds more than ${limit.toLocaleString('en-US')} files`);
      out.push({ file: await fileOf(entry as WalkFileEntry, path), path });
    }
  };
  for (const entry of [...entries].sort(byName)) await visit(entry, '');
  return out;
}

/** Files from an `<input type=file>` (with or without webkitdirectory), in path order, hidden ones skipped. */
export function filesFromInput(files: Iterable<File>): DroppedFile[] {
  return [...files]
    .map((file) => ({ file, path: file.webkitRelativePath || file.name }))
    .filter((f) => !f.path.split('/').some(isHidden))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * What a drop event holds. The entries are taken synchronously, as the browser allows only
 * during the event; files without an entry (a DataTransfer built by a script) come as they are.
 */
export function entriesOfDrop(transfer: DataTransfer): { entries: WalkEntry[]; loose: File[] } {
  const entries: WalkEntry[] = [];
  const loose: File[] = [];
  const items = [...transfer.items].filter((item) => item.kind === 'file');
  for (const item of items) {
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  if (items.length === 0) loose.push(...transfer.files);
  return { entries, loose };
}

/** The files of a drop event's contents (see entriesOfDrop), folders walked. */
export async function filesOfDrop(dropped: { entries: WalkEntry[]; loose: File[] }): Promise<DroppedFile[]> {
  const walked = await walkEntries(dropped.entries);
  const seen = new Set(walked.map((f) => f.path));
  const loose = filesFromInput(dropped.loose).filter((f) => !seen.has(f.path));
  return [...walked, ...loose].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Whether a drag carries files (and not text or a layer from the palette). */
export function dragHasFiles(transfer: DataTransfer | null): boolean {
  return !!transfer && [...transfer.types].includes('Files');
}

const IDX_ROLE = /^(train|t10k)-(images|labels)[-.]idx\d-ubyte(\.gz)?$/i;

/**
 * A name for a dropped set, as the dataset list shows it: the folder's name for one dropped
 * folder, the file's name for one file, "Fashion… (4 IDX files)"-style otherwise.
 */
export function dropName(files: readonly DroppedFile[]): string {
  const first = files[0];
  if (!first) return 'empty drop';
  const tops = new Set(files.map((f) => f.path.split('/')[0]!));
  const name = tops.size === 1 && first.path.includes('/') ? [...tops][0]! : files.length === 1 ? first.path : null;
  if (name) return name.slice(0, 256);
  const base = files.map((f) => f.path.split('/').pop()!);
  if (base.every((b) => IDX_ROLE.test(b))) {
    const splits = [...new Set(base.map((b) => (b.toLowerCase().startsWith('train') ? 'train' : 't10k')))].sort().reverse();
    return `IDX ${splits.join(' + ')} (${files.length} files)`;
  }
  return `${base[0]} and ${files.length - 1} more`.slice(0, 256);
}
