/**
 * CSV files as people have them: comma, semicolon or tab (sniffed), RFC 4180 quotes, a UTF-8
 * BOM, CRLF. Before the data there may be lines to skip (`skipLines`), a count line in the
 * layout scikit-learn ships (`150,4,setosa,versicolor,virginica`: samples, features, class
 * names) and a header row; `header: 'auto'` recognises all three. Missing values (empty, NA,
 * N/A, NaN, null, ?) are counted, and their rows dropped or filled with the column's mean (the
 * most frequent value for a text column). A feature column of text is one-hot encoded. The
 * label column is the one the options name, else one called label/class/target, else the
 * last. Problems are reported as file:line:column (1-based, the column in characters).
 */
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { DatasetError, computeFeatureStats, computeStats, formatBytes, formatCount, throwIfAborted, type CsvReport, type Dataset, type Normalization, type ReadLimits, type Task } from './types';

export interface CsvLoadOptions extends ReadLimits {
  /** The label column, by header name (case-insensitive) or 0-based index. */
  labelColumn?: string | number;
  /** Overrides the inferred task. */
  task?: Task;
  normalization?: Normalization;
  /** ',', ';' or '\t'; sniffed from the first lines when not given. */
  delimiter?: string;
  /** 'auto' (default): count and metadata lines and a header row recognised; 'none'; or the header's row, 1-based after the skipped lines. */
  header?: CsvHeader;
  /** Lines dropped before anything is read (0 by default). */
  skipLines?: number;
  /** Rows with a missing value: dropped (default), or each filled with its column's mean (most frequent value for text). */
  missing?: MissingPolicy;
  name?: string;
}

export type CsvHeader = 'auto' | 'none' | number;
export type MissingPolicy = 'drop' | 'fill';

/** CSV text is parsed in memory: 512 MiB of text is far more than a CSV anyone trains on here. */
export const DEFAULT_CSV_MAX_BYTES = 512 * 1024 ** 2;
/** Integer labels with at most this many distinct values are taken as classes. */
export const MAX_INFERRED_CLASSES = 50;
export const MAX_CLASSES = 10_000;
const LABEL_NAMES = ['label', 'class', 'target'];
/** A text feature column with more distinct values than this is refused rather than one-hot encoded. */
export const MAX_CATEGORIES = 1000;
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', '?']);
/** Rows read to recognise the delimiter, the count line and the header. */
const SNIFF_ROWS = 64;
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

/** The delimiter that splits the first lines into the same number (> 1) of fields most often. */
function sniffDelimiter(text: string): string {
  const lines = text.slice(0, 64 * 1024).split(/\r?\n/, 21).filter((l) => l.trim() !== '');
  let best = ',';
  let bestScore = -1;
  for (const d of [',', ';', '\t']) {
    const counts = lines.map((l) => l.split(d).length);
    const tally = new Map<number, number>();
    for (const c of counts) if (c > 1) tally.set(c, (tally.get(c) ?? 0) + 1);
    for (const [fields, times] of tally) {
      // Lines agreeing first, then more fields: "1,5;2,5" splits on ';' into 2 on every line.
      const score = times * 10_000 + fields;
      if (score > bestScore) {
        best = d;
        bestScore = score;
      }
    }
  }
  return best;
}

const DECIMAL_COMMA = /^\s*[+-]?\d+,\d+\s*$/;
const decimalPoint = (s: string): string => (DECIMAL_COMMA.test(s) ? s.replace(',', '.') : s);
const isMissing = (s: string): boolean => MISSING.has(s.trim().toLowerCase());
/** A cell that reads as a word: not a number, not a missing-value marker. */
const isText = (s: string): boolean => !isMissing(s) && !isNumber(s);
const isCount = (s: string): boolean => /^\d+$/.test(s.trim());

/**
 * scikit-learn's count line: samples, features (one fewer than the data's columns), then the
 * class names, e.g. `150,4,setosa,versicolor,virginica` above 5-column rows.
 */
function isCountLine(row: Row, width: number): boolean {
  const f = row.fields;
  return f.length >= 2 && isCount(f[0]!) && isCount(f[1]!) && Number(f[1]) === width - 1 && f.slice(2).every((v) => v.trim() === '' || isText(v));
}

/** A header: a word where the next row has a number, or words (and blanks) only. */
function looksLikeHeader(row: Row, next: Row | null): boolean {
  if (row.fields.some((v, c) => isText(v) && next !== null && next.fields[c] !== undefined && isNumber(next.fields[c]!))) return true;
  return allWords(row);
}

interface Layout {
  /** Rows before the data (skipped lines aside), in order. */
  before: number;
  header: Row | null;
  countLine: Row | null;
  width: number;
}

const allWords = (row: Row): boolean => row.fields.every((v) => v.trim() === '' || isText(v)) && row.fields.some((v) => v.trim() !== '');

/** Where the data starts in the first rows, for `header: 'auto'`. */
function autoLayout(sample: Row[]): Layout {
  // The data's width: the field count of most rows after the first, when most agree.
  const tally = new Map<number, number>();
  const rest = sample.length > 1 ? sample.slice(1) : sample;
  for (const row of rest) tally.set(row.fields.length, (tally.get(row.fields.length) ?? 0) + 1);
  let width = sample[0]!.fields.length;
  let most = 0;
  for (const [fields, times] of tally) {
    if (times > most) {
      width = fields;
      most = times;
    }
  }
  const agreed = most * 2 > rest.length;
  if (!agreed) width = sample[0]!.fields.length;
  let i = 0;
  let countLine: Row | null = null;
  // Title, comment and count lines: rows of another width above the data, or the count line.
  while (i < sample.length - 1) {
    const row = sample[i]!;
    if (countLine === null && isCountLine(row, width)) countLine = row;
    else if (!agreed || row.fields.length === width) break;
    i++;
  }
  // A title of the data's width above a header: two rows of words, then one that is not.
  while (i + 2 < sample.length && allWords(sample[i]!) && allWords(sample[i + 1]!) && !allWords(sample[i + 2]!) && sample[i + 1]!.fields.length === width) i++;
  const row = sample[i];
  if (row && looksLikeHeader(row, sample[i + 1] ?? null)) return { before: i + 1, header: row, countLine, width };
  return { before: i, header: null, countLine, width: row?.fields.length ?? width };
}

/** Whether a table may be stored as bytes: no text columns (their one-hot 0/1 would qualify, but they are features of another kind). */
const numericOnly = (columns: Column[]): boolean => columns.every((c) => c.kind !== 'text');

interface Column {
  name: string;
  /** Decided by its first value that is present. */
  kind: 'unknown' | 'number' | 'text';
  missing: number;
  /** Text columns: each value's code, in order of first appearance. */
  codes: Map<string, number>;
}

/** Loads a CSV file of features and a label column as a Dataset (one train split, f32). */
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
  const skipLines = options.skipLines ?? 0;
  if (!Number.isInteger(skipLines) || skipLines < 0) throw new DatasetError(file, `skipLines must be a whole number of lines, got ${skipLines}`);
  if (skipLines > 0) {
    let at = 0;
    for (let k = 0; k < skipLines && at >= 0; k++) {
      const nl = text.indexOf('\n', at);
      at = nl < 0 ? -1 : nl + 1;
    }
    if (at < 0) throw new DatasetError(file, `skipping ${skipLines} lines leaves nothing: the file has fewer lines`);
    // Blank the skipped lines but keep their newlines, so line numbers in errors stay the file's.
    text = text.slice(0, at).replace(/[^\n]/g, '') + text.slice(at);
  }
  const delimiter = options.delimiter ?? sniffDelimiter(text);
  const it = rows(text, delimiter.charCodeAt(0), file);
  const sample: Row[] = [];
  while (sample.length < SNIFF_ROWS) {
    const next = it.next();
    if (next.done) break;
    sample.push(next.value);
  }
  if (sample.length === 0) throw new DatasetError(file, skipLines > 0 ? `the file holds no rows after the ${skipLines} skipped lines` : 'the file holds no rows');

  // Semicolon files are where decimal commas live ("1,5" for 1.5, as European spreadsheets save them).
  if (delimiter === ';') for (const row of sample) for (let c = 0; c < row.fields.length; c++) row.fields[c] = decimalPoint(row.fields[c]!);
  const headerOption = options.header ?? 'auto';
  let layout: Layout;
  if (headerOption === 'auto') layout = autoLayout(sample);
  else if (headerOption === 'none') layout = { before: 0, header: null, countLine: null, width: sample[0]!.fields.length };
  else {
    if (!Number.isInteger(headerOption) || headerOption < 1) throw new DatasetError(file, `header must be "auto", "none" or a row number from 1, got ${headerOption}`);
    const row = sample[headerOption - 1];
    if (!row) throw new DatasetError(file, `header row ${headerOption} was asked for, but ${headerOption > SNIFF_ROWS ? `it is past the first ${SNIFF_ROWS} rows` : `the file has ${sample.length} rows`}`);
    layout = { before: headerOption, header: row, countLine: null, width: row.fields.length };
  }
  const { header, countLine } = layout;
  const width = header ? header.fields.length : (sample[layout.before]?.fields.length ?? layout.width);
  const names = header ? header.fields.map((f, c) => f.trim() || `column ${c + 1}`) : null;
  const at = (row: Row, c: number): string => `${file}:${row.line}:${row.columns[c] ?? 1}`;

  let labelIndex: number;
  const option = options.labelColumn;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0 || option >= width) throw new DatasetError(file, `label column ${option} does not exist; the file has columns 0 to ${width - 1}`);
    labelIndex = option;
  } else if (typeof option === 'string' && /^\d+$/.test(option) && !(names ?? []).some((n) => n === option)) {
    // "2" from a text field or --set names a column by index unless a column is called "2".
    labelIndex = Number(option);
    if (labelIndex >= width) throw new DatasetError(file, `label column ${option} does not exist; the file has columns 0 to ${width - 1}`);
  } else if (typeof option === 'string') {
    if (!names) throw new DatasetError(file, `label column "${option}" was asked for, but the file has no header row; give the column's index instead`);
    labelIndex = names.findIndex((n) => n.toLowerCase() === option.toLowerCase());
    if (labelIndex < 0) throw new DatasetError(file, `no column named "${option}"; the columns are ${names.map((n) => `"${n}"`).join(', ')}`);
  } else {
    const named = names ? names.findIndex((n) => LABEL_NAMES.includes(n.toLowerCase())) : -1;
    labelIndex = named >= 0 ? named : width - 1;
  }
  if (width < 2) throw new DatasetError(file, `has ${width} column; it needs at least one feature column besides the label`);
  const sourceColumns = width - 1;
  const columnName = (c: number): string => (names ? `"${names[c]}"` : `${c + 1}`);
  const columns: Column[] = [];
  for (let c = 0; c < width; c++) if (c !== labelIndex) columns.push({ name: names ? names[c]! : `column ${c + 1}`, kind: 'unknown', missing: 0, codes: new Map() });

  // Pass one: every row's values as numbers (text as its code), NaN where missing.
  let capacity = 1024;
  let raw = new Float32Array(capacity * sourceColumns);
  const labels: (string | null)[] = [];
  let firstTextLabel: { row: Row; label: string } | null = null;
  let count = 0;
  let rowsWithMissing = 0;
  let missingLabels = 0;
  const take = (row: Row): void => {
    if (row.fields.length !== width) {
      throw new DatasetError(`${file}:${row.line}:1`, `this row has ${row.fields.length} fields, ${header ? 'the header has' : 'the first row has'} ${width}`);
    }
    if (count === capacity) {
      if (capacity * 2 * sourceColumns * 4 > maxBytes) throw new DatasetError(file, `more than ${formatCount(count)} rows: the features would exceed the ${formatBytes(maxBytes)} limit`);
      capacity *= 2;
      const grown = new Float32Array(capacity * sourceColumns);
      grown.set(raw);
      raw = grown;
    }
    let k = count * sourceColumns;
    let holes = false;
    for (let c = 0, j = 0; c < width; c++) {
      const s = delimiter === ';' ? decimalPoint(row.fields[c]!.trim()) : row.fields[c]!.trim();
      if (c === labelIndex) {
        if (isMissing(s)) {
          labels.push(null);
          missingLabels++;
          holes = true;
        } else {
          labels.push(s);
          if (!firstTextLabel && !isNumber(s)) firstTextLabel = { row, label: s };
        }
        continue;
      }
      const column = columns[j++]!;
      if (isMissing(s)) {
        column.missing++;
        holes = true;
        raw[k++] = NaN;
        continue;
      }
      if (column.kind === 'unknown') column.kind = isNumber(s) ? 'number' : 'text';
      if (column.kind === 'text') {
        if (isNumber(s) && column.codes.size > 0) {
          throw new DatasetError(at(row, c), `${s} in column ${columnName(c)}, a column of text ("${[...column.codes.keys()][0]}" above): a column is numbers or text, not both`);
        }
        let code = column.codes.get(s);
        if (code === undefined) {
          if (column.codes.size >= MAX_CATEGORIES) throw new DatasetError(at(row, c), `column ${columnName(c)} has more than ${MAX_CATEGORIES} distinct text values; it cannot be one-hot encoded (an id or free text?): remove the column`);
          code = column.codes.size;
          column.codes.set(s, code);
        }
        raw[k++] = code;
        continue;
      }
      const v = parseNumber(s);
      if (v !== v) {
        if (NUMBER.test(s)) throw new DatasetError(at(row, c), `${s} in column ${columnName(c)} is out of range`);
        throw new DatasetError(at(row, c), `"${s.length > 40 ? `${s.slice(0, 40)}…` : s}" in column ${columnName(c)} is not a number; the column's values above are numbers, and features must be numeric (or a column all of text)`);
      }
      raw[k++] = v;
    }
    if (holes) rowsWithMissing++;
    count++;
  };
  for (let r = layout.before; r < sample.length; r++) take(sample[r]!);
  let seen = 0;
  for (const row of it) {
    take(row);
    if (++seen % 65_536 === 0) throwIfAborted(options.signal);
  }
  if (count === 0) throw new DatasetError(file, header ? 'has a header but no data rows' : 'has no data rows');

  // Pass two: fill or drop, then the numbers and the one-hot columns side by side.
  const policy = options.missing ?? 'drop';
  const fills = columns.map((column, j) => {
    if (column.missing === 0 || policy === 'drop') return NaN;
    if (column.kind === 'text') {
      const tally = new Float64Array(column.codes.size);
      for (let i = 0; i < count; i++) {
        const v = raw[i * sourceColumns + j]!;
        if (v === v) tally[v]!++;
      }
      let best = 0;
      for (let v = 1; v < tally.length; v++) if (tally[v]! > tally[best]!) best = v;
      return best;
    }
    let sum = 0;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const v = raw[i * sourceColumns + j]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    return n > 0 ? sum / n : 0;
  });
  // Text values in sorted order, so the same file gives the same features.
  const categories = columns.map((column) => (column.kind === 'text' ? [...column.codes.keys()].sort() : null));
  const remap = columns.map((column, j) => {
    const sorted = categories[j];
    if (!sorted) return null;
    const order = new Int32Array(column.codes.size);
    sorted.forEach((value, rank) => (order[column.codes.get(value)!] = rank));
    return order;
  });
  const offsets: number[] = [];
  let features = 0;
  for (let j = 0; j < columns.length; j++) {
    offsets.push(features);
    features += categories[j]?.length ?? 1;
  }
  if (features * 4 * count > maxBytes) throw new DatasetError(file, `one-hot encoding makes ${formatCount(features)} features × ${formatCount(count)} rows, more than the ${formatBytes(maxBytes)} limit`);
  const keep = new Int32Array(count);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    if (labels[i] === null) continue;
    if (policy === 'drop') {
      let whole = true;
      for (let j = 0; j < sourceColumns && whole; j++) whole = raw[i * sourceColumns + j] === raw[i * sourceColumns + j];
      if (!whole) continue;
    }
    keep[kept++] = i;
  }
  if (kept === 0) throw new DatasetError(file, `every one of the ${formatCount(count)} rows has a missing value${policy === 'drop' ? ': choose to fill missing values instead of dropping their rows' : ' in the label column'}`);
  // Numbers only, every row kept: the values read are the features as they stand (no copy).
  const asRead = kept === count && features === sourceColumns && fills.every((f) => f !== f);
  const x = asRead ? raw.slice(0, count * features) : new Float32Array(kept * features);
  for (let r = 0; r < kept && !asRead; r++) {
    const i = keep[r]!;
    const base = r * features;
    for (let j = 0; j < sourceColumns; j++) {
      let v = raw[i * sourceColumns + j]!;
      if (v !== v) v = fills[j]!;
      const order = remap[j];
      if (order) x[base + offsets[j]! + order[v]!] = 1;
      else x[base + offsets[j]!] = v;
    }
  }
  // Whole numbers from 0 to 255 in every column (pixels, as Kaggle's MNIST CSVs hold them) are kept as bytes: a quarter of the memory, and divide-by-255 applies.
  let bytesOnly = true;
  for (let k = 0; k < x.length && bytesOnly; k++) {
    const v = x[k]!;
    bytesOnly = v >= 0 && v <= 255 && v === Math.floor(v);
  }
  const stored = bytesOnly && numericOnly(columns) ? Uint8Array.from(x) : x;
  const labelsKept: string[] = [];
  for (let r = 0; r < kept; r++) labelsKept.push(labels[keep[r]!]!);
  const rowsRead = count;
  count = kept;

  const textLabel = firstTextLabel as { row: Row; label: string } | null;
  const numeric = textLabel === null;
  const integers = numeric && labelsKept.every((l) => Number.isInteger(Number(l)));
  const distinct = new Set(labelsKept);
  // The count line's class names, where the labels are 0…k-1 and k names are there to match.
  const countNames = countLine ? countLine.fields.slice(2).map((f) => f.trim()).filter((f) => f !== '') : [];
  const namedByCountLine = integers && countNames.length > 0 && labelsKept.every((l) => Number(l) >= 0 && Number(l) < countNames.length);
  let task: Task;
  if (options.task) task = options.task;
  else if (!numeric || namedByCountLine) task = 'classification';
  else task = integers && new Set(labelsKept.map(Number)).size <= Math.min(MAX_INFERRED_CLASSES, Math.max(2, count / 2)) ? 'classification' : 'regression';

  let y: Int32Array | Float32Array;
  let classNames: string[] | undefined;
  if (task === 'regression') {
    if (textLabel) {
      throw new DatasetError(at(textLabel.row, labelIndex), `label "${textLabel.label}" is not a number, but a regression target must be; choose classification or another label column`);
    }
    y = Float32Array.from(labelsKept, Number);
  } else if (namedByCountLine) {
    classNames = countNames;
    y = Int32Array.from(labelsKept, Number);
  } else {
    // Numbers in numeric order (so "2" < "10"), text in code-point order: the same file gives the same classes.
    if (numeric) {
      const values = [...new Set(labelsKept.map(Number))].sort((a, b) => a - b);
      classNames = values.map(String);
      const index = new Map(values.map((v, i) => [v, i]));
      if (values.length > MAX_CLASSES) throw new DatasetError(file, `column ${columnName(labelIndex)} has ${formatCount(values.length)} distinct labels, too many classes (at most ${MAX_CLASSES}); is it the label column?`);
      y = Int32Array.from(labelsKept, (l) => index.get(Number(l))!);
    } else {
      const keys = [...distinct].sort();
      if (keys.length > MAX_CLASSES) throw new DatasetError(file, `column ${columnName(labelIndex)} has ${formatCount(keys.length)} distinct labels, too many classes (at most ${MAX_CLASSES}); is it the label column?`);
      classNames = keys;
      const index = new Map(keys.map((k, i) => [k, i]));
      y = Int32Array.from(labelsKept, (l) => index.get(l)!);
    }
  }
  const featureNames: string[] = [];
  columns.forEach((column, j) => {
    const values = categories[j];
    if (values) for (const value of values) featureNames.push(`${column.name}=${value}`);
    else featureNames.push(column.name);
  });
  const report: CsvReport = {
    columns: Array.from({ length: width }, (_, c) => (names ? names[c]! : `column ${c + 1}`)),
    delimiter,
    skippedLines: skipLines,
    headerLine: header ? header.line : null,
    countLine: countLine ? countLine.fields.map((f) => f.trim()).join(delimiter) : null,
    ...(countLine && Number(countLine.fields[0]) !== rowsRead ? { countMismatch: `the count line says ${countLine.fields[0]!.trim()} samples, the file holds ${rowsRead} rows` } : {}),
    labelColumn: names ? names[labelIndex]! : labelIndex,
    rowsRead,
    missing: {
      policy,
      rows: rowsWithMissing,
      labels: missingLabels,
      columns: columns.flatMap((column, j) => (column.missing > 0 ? [{ column: column.name, count: column.missing, ...(policy === 'fill' ? { filledWith: column.kind === 'text' ? categories[j]![remap[j]![fills[j]!]!]! : fills[j]! } : {}) }] : [])),
    },
    oneHot: columns.flatMap((column, j) => (categories[j] ? [{ column: column.name, values: categories[j] }] : [])),
  };
  const full = resolve(path);
  const identity = [full, labelIndex, task, options.normalization ?? 'none', headerOption, skipLines, policy, delimiter];
  return {
    id: `csv-${createHash('sha1').update(JSON.stringify(identity)).digest('hex').slice(0, 12)}`,
    name: options.name ?? file.replace(/\.(csv|tsv|txt)$/i, ''),
    source: { kind: 'csv', files: [full] },
    task,
    inputShape: [features],
    elementType: stored instanceof Uint8Array ? 'u8' : 'f32',
    targetDim: 1,
    ...(classNames ? { classNames } : {}),
    ...(names || report.oneHot.length > 0 ? { featureNames } : {}),
    splits: { train: { count, x: stored, y } },
    normalization: options.normalization ?? 'none',
    stats: computeStats(stored),
    featureStats: computeFeatureStats(stored, features),
    csv: report,
  };
}
