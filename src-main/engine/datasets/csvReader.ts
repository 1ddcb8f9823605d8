/**
 * CSV files of numeric features and one label column. The first row is a header when it
 * holds a non-numeric cell where the second row holds a number (or is all text). The label
 * column is the one the options name, else one called label/class/target, else the last.
 * Problems are reported as file:line:column (1-based, the column in characters).
 */
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { DatasetError, computeStats, formatBytes, formatCount, throwIfAborted, type Dataset, type Normalization, type ReadLimits, type Task } from './types';

export interface CsvLoadOptions extends ReadLimits {
  /** The label column, by header name (case-insensitive) or 0-based index. */
  labelColumn?: string | number;
  /** Overrides the inferred task. */
  task?: Task;
  normalization?: Normalization;
  /** ',', ';' or '\t'; found from the first line when not given. */
  delimiter?: string;
  name?: string;
}

/** CSV text is parsed in memory: 512 MiB of text is far more than a CSV anyone trains on here. */
export const DEFAULT_CSV_MAX_BYTES = 512 * 1024 ** 2;
/** Integer labels with at most this many distinct values are taken as classes. */
export const MAX_INFERRED_CLASSES = 50;
export const MAX_CLASSES = 10_000;
const LABEL_NAMES = ['label', 'class', 'target'];
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Row {
  line: number;
  fields: string[];
  /** 1-based character column where each field starts. */
  columns: number[];
}

/** Splits CSV text into rows (RFC 4180 quoting; blank lines skipped). */
function* rows(text: string, delimiter: number, file: string): Generator<Row> {
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  while (i < n) {
    const rowLine = line;
    const fields: string[] = [];
    const columns: number[] = [];
    let blank = true;
    for (;;) {
      columns.push(i - lineStart + 1);
      let value: string;
      if (text.charCodeAt(i) === 34 /* " */) {
        const openLine = line;
        const openColumn = i - lineStart + 1;
        let out = '';
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new DatasetError(`${file}:${openLine}:${openColumn}`, 'a quoted field is never closed');
          const part = text.slice(j, q);
          for (let k = part.indexOf('\n'); k >= 0; k = part.indexOf('\n', k + 1)) {
            line++;
            lineStart = j + k + 1;
          }
          out += part;
          if (text.charCodeAt(q + 1) === 34) {
            out += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        value = out;
        blank = false;
        const c = text.charCodeAt(i);
        if (i < n && c !== delimiter && c !== 10 && c !== 13) {
          throw new DatasetError(`${file}:${line}:${i - lineStart + 1}`, 'unexpected text after a closing quote');
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === delimiter || c === 10 || c === 13) break;
          j++;
        }
        value = text.slice(i, j);
        if (value.trim() !== '') blank = false;
        i = j;
      }
      fields.push(value);
      if (i < n && text.charCodeAt(i) === delimiter) {
        blank = false;
        i++;
        continue;
      }
      break;
    }
    if (text.charCodeAt(i) === 13) i++;
    if (text.charCodeAt(i) === 10) i++;
    line++;
    lineStart = i;
    if (!blank) yield { line: rowLine, fields, columns };
  }
}

function isNumber(s: string): boolean {
  return NUMBER.test(s.trim());
}

/**
 * A trimmed, non-empty field as a finite number, or NaN. Number() does the work; what it
 * accepts beyond plain decimals (0x…, 0b…, 0o…, Infinity) is refused here.
 */
function parseNumber(s: string): number {
  const v = Number(s);
  if (!Number.isFinite(v)) return NaN;
  if (s.charCodeAt(0) === 48 /* 0 */ && s.length > 2) {
    const c = s.charCodeAt(1) | 0x20;
    if (c === 0x78 /* x */ || c === 0x62 /* b */ || c === 0x6f /* o */) return NaN;
  }
  return v;
}

/** Refuses files that are not text: NUL and other control bytes, or invalid UTF-8, near the start. */
function checkText(file: string, bytes: Uint8Array): void {
  const probe = bytes.subarray(0, 64 * 1024);
  for (let i = 0; i < probe.length; i++) {
    const b = probe[i]!;
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) {
      throw new DatasetError(file, `not a text file (byte 0x${b.toString(16).padStart(2, '0')} at offset ${i}); a CSV file holds comma-separated numbers`);
    }
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(probe, { stream: true });
  } catch {
    throw new DatasetError(file, 'not UTF-8 text; save the CSV file as UTF-8');
  }
}

function chooseDelimiter(firstLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t']) {
    const count = firstLine.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Loads a CSV file of numeric features and a label column as a Dataset (one train split, f32). */
export async function loadCsv(path: string, options: CsvLoadOptions = {}): Promise<Dataset> {
  const file = basename(path);
  const maxBytes = options.maxBytes ?? DEFAULT_CSV_MAX_BYTES;
  throwIfAborted(options.signal);
  let bytes: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const info = await fh.stat();
      if (!info.isFile()) throw new DatasetError(file, 'is not a regular file');
      if (info.size > maxBytes) throw new DatasetError(file, `the file holds ${formatCount(info.size)} bytes, more than the ${formatBytes(maxBytes)} limit for CSV files`);
      bytes = Buffer.alloc(info.size);
      let done = 0;
      while (done < info.size) {
        const { bytesRead } = await fh.read(bytes, done, info.size - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (bytes.length === 0) throw new DatasetError(file, 'the file is empty');
  checkText(file, bytes);
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstLineEnd = text.search(/\r?\n/);
  const delimiter = options.delimiter ?? chooseDelimiter(firstLineEnd < 0 ? text : text.slice(0, firstLineEnd));
  const it = rows(text, delimiter.charCodeAt(0), file);
  const first = it.next();
  if (first.done) throw new DatasetError(file, 'the file holds no rows');
  const second = it.next();
  const row1 = first.value;
  const row2 = second.done ? null : second.value;

  const hasHeader = row1.fields.some((f, c) => !isNumber(f) && (row2 === null || row2.fields[c] === undefined || isNumber(row2.fields[c]!))) || row1.fields.every((f) => !isNumber(f));
  const width = row1.fields.length;
  const names = hasHeader ? row1.fields.map((f) => f.trim()) : null;
  const at = (row: Row, c: number): string => `${file}:${row.line}:${row.columns[c] ?? 1}`;

  let labelIndex: number;
  const option = options.labelColumn;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0 || option >= width) throw new DatasetError(file, `label column ${option} does not exist; the file has columns 0 to ${width - 1}`);
    labelIndex = option;
  } else if (typeof option === 'string') {
    if (!names) throw new DatasetError(file, `label column "${option}" was asked for, but the file has no header row; give the column's index instead`);
    labelIndex = names.findIndex((n) => n.toLowerCase() === option.toLowerCase());
    if (labelIndex < 0) throw new DatasetError(file, `no column named "${option}"; the columns are ${names.map((n) => `"${n}"`).join(', ')}`);
  } else {
    const named = names ? names.findIndex((n) => LABEL_NAMES.includes(n.toLowerCase())) : -1;
    labelIndex = named >= 0 ? named : width - 1;
  }
  if (width < 2) throw new DatasetError(file, `has ${width} column; it needs at least one feature column besides the label`);
  const features = width - 1;
  const columnName = (c: number): string => (names ? `"${names[c]}"` : `${c + 1}`);

  let capacity = 1024;
  let x = new Float32Array(capacity * features);
  const labels: string[] = [];
  /** Where the first non-numeric label is, for the error when a number is needed. */
  let firstTextLabel: { row: Row; label: string } | null = null;
  let count = 0;
  const take = (row: Row): void => {
    if (row.fields.length !== width) {
      throw new DatasetError(`${file}:${row.line}:1`, `this row has ${row.fields.length} fields, ${hasHeader ? 'the header has' : 'the first row has'} ${width}`);
    }
    if (count === capacity) {
      if ((capacity * 2 * features * 4) > maxBytes) throw new DatasetError(file, `more than ${formatCount(count)} rows: the features would exceed the ${formatBytes(maxBytes)} limit`);
      capacity *= 2;
      const grown = new Float32Array(capacity * features);
      grown.set(x);
      x = grown;
    }
    let k = count * features;
    for (let c = 0; c < width; c++) {
      const raw = row.fields[c]!;
      if (c === labelIndex) {
        const label = raw.trim();
        if (label === '') throw new DatasetError(at(row, c), `the label (column ${columnName(c)}) is empty`);
        labels.push(label);
        if (!firstTextLabel && !isNumber(label)) firstTextLabel = { row, label };
        continue;
      }
      const s = raw.trim();
      if (s === '') throw new DatasetError(at(row, c), `empty value in column ${columnName(c)}; fill in or remove rows with missing values`);
      const v = parseNumber(s);
      if (v !== v) {
        if (NUMBER.test(s)) throw new DatasetError(at(row, c), `${s} in column ${columnName(c)} is out of range`);
        throw new DatasetError(at(row, c), `"${s.length > 40 ? `${s.slice(0, 40)}…` : s}" in column ${columnName(c)} is not a number; features must be numeric`);
      }
      x[k++] = v;
    }
    count++;
  };
  if (!hasHeader) take(row1);
  if (row2) take(row2);
  let seen = 0;
  for (const row of it) {
    take(row);
    if (++seen % 65_536 === 0) throwIfAborted(options.signal);
  }
  if (count === 0) throw new DatasetError(file, 'has a header but no data rows');
  x = x.slice(0, count * features);

  const textLabel = firstTextLabel as { row: Row; label: string } | null;
  const numeric = textLabel === null;
  const integers = numeric && labels.every((l) => Number.isInteger(Number(l)));
  const distinct = new Set(labels);
  let task: Task;
  if (options.task) task = options.task;
  else if (!numeric) task = 'classification';
  else task = integers && new Set(labels.map(Number)).size <= Math.min(MAX_INFERRED_CLASSES, Math.max(2, count / 2)) ? 'classification' : 'regression';

  let y: Int32Array | Float32Array;
  let classNames: string[] | undefined;
  if (task === 'regression') {
    if (textLabel) {
      throw new DatasetError(at(textLabel.row, labelIndex), `label "${textLabel.label}" is not a number, but a regression target must be; choose classification or another label column`);
    }
    y = Float32Array.from(labels, Number);
  } else {
    // Numbers in numeric order (so "2" < "10"), text in code-point order: the same file gives the same classes.
    let keys: string[];
    if (numeric) {
      const values = [...new Set(labels.map(Number))].sort((a, b) => a - b);
      keys = values.map(String);
      classNames = keys;
      const index = new Map(values.map((v, i) => [v, i]));
      if (values.length > MAX_CLASSES) throw new DatasetError(file, `column ${columnName(labelIndex)} has ${formatCount(values.length)} distinct labels, too many classes (at most ${MAX_CLASSES}); is it the label column?`);
      y = Int32Array.from(labels, (l) => index.get(Number(l))!);
    } else {
      keys = [...distinct].sort();
      if (keys.length > MAX_CLASSES) throw new DatasetError(file, `column ${columnName(labelIndex)} has ${formatCount(keys.length)} distinct labels, too many classes (at most ${MAX_CLASSES}); is it the label column?`);
      classNames = keys;
      const index = new Map(keys.map((k, i) => [k, i]));
      y = Int32Array.from(labels, (l) => index.get(l)!);
    }
  }
  const featureNames = names ? names.filter((_, c) => c !== labelIndex) : undefined;
  const full = resolve(path);
  return {
    id: `csv-${createHash('sha1').update(JSON.stringify([full, labelIndex, task, options.normalization ?? 'none'])).digest('hex').slice(0, 12)}`,
    name: options.name ?? file.replace(/\.(csv|tsv|txt)$/i, ''),
    source: { kind: 'csv', files: [full] },
    task,
    inputShape: [features],
    elementType: 'f32',
    targetDim: 1,
    ...(classNames ? { classNames } : {}),
    ...(featureNames ? { featureNames } : {}),
    splits: { train: { count, x, y } },
    normalization: options.normalization ?? 'none',
    stats: computeStats(x),
  };
}
