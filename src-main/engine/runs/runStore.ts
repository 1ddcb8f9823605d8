/**
 * Reading runs back from disk, without the app that wrote them: run.json, and metrics.jsonl
 * whose torn last line (a crash mid-append) is ignored. A run still marked `running` that no
 * engine is writing was interrupted: it is marked so, and everything written before stays.
 */
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunSummary } from '@contract';
import type { RunRecord } from './runWriter';

/** Parses JSON lines; a last line without its newline, or that does not parse, is a torn write and is skipped. */
export function readJsonLines(text: string): unknown[] {
  const lines = text.split('\n');
  const complete = text.endsWith('\n') ? lines.slice(0, -1) : lines.slice(0, -1);
  const records: unknown[] = [];
  for (const [i, line] of complete.entries()) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as unknown);
    } catch {
      // A line in the middle that does not parse means the file was edited or damaged: stop
      // there rather than return records out of order.
      if (i < complete.length - 1) break;
    }
  }
  return records;
}

export function readRecord(dir: string): RunRecord | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
  } catch {
    return null;
  }
}

function datasetLabel(record: RunRecord): string {
  const d = record.spec.dataset;
  if (d.kind === 'builtin') return d.name;
  if (d.kind === 'loaded') return d.id;
  return d.path;
}

/**
 * Marks runs left `running` by an engine that is gone as `interrupted`. `live` holds the
 * folders this engine is writing now.
 */
export function markInterrupted(runsDir: string, live: ReadonlySet<string> = new Set()): string[] {
  if (!existsSync(runsDir)) return [];
  const marked: string[] = [];
  for (const entry of readdirSync(runsDir)) {
    const dir = join(runsDir, entry);
    if (live.has(dir)) continue;
    const record = readRecord(dir);
    if (!record || record.status !== 'running') continue;
    record.status = 'interrupted';
    record.error = record.error ?? 'the engine stopped while this run was training; everything written until then is kept';
    const path = join(dir, 'run.json');
    writeFileSync(`${path}.tmp-${process.pid}`, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(`${path}.tmp-${process.pid}`, path);
    marked.push(dir);
  }
  return marked;
}

/** The best epoch value of the most telling metric a run has: validation accuracy, accuracy, validation loss, loss. */
function bestMetric(epochs: Record<string, unknown>[]): RunSummary['best'] {
  const metrics = [
    ['valAccuracy', 1],
    ['accuracy', 1],
    ['valLoss', -1],
    ['loss', -1],
  ] as const;
  for (const [metric, sign] of metrics) {
    let best: { metric: typeof metric; value: number; epoch: number } | null = null;
    for (const e of epochs) {
      const value = e[metric];
      if (typeof value !== 'number' || !Number.isFinite(value) || typeof e['epoch'] !== 'number') continue;
      if (!best || value * sign > best.value * sign) best = { metric, value, epoch: e['epoch'] };
    }
    if (best) return best;
  }
  return null;
}

/** One run folder summarised for the Runs screen; null when it is not a run (no readable run.json). */
export function summarizeRun(dir: string): RunSummary | null {
  try {
    if (!statSync(dir).isDirectory()) return null;
  } catch {
    return null;
  }
  const record = readRecord(dir);
  if (!record) return null;
  interface EpochLine {
    loss?: number | null;
    accuracy?: number | null;
    valAccuracy?: number | null;
  }
  let lastEpoch: EpochLine | null = null;
  let lastStep: number | null = null;
  const epochs: Record<string, unknown>[] = [];
  try {
    const records = readJsonLines(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')) as { type?: string; step?: number }[];
    for (const r of records) {
      if (r.type === 'epoch') {
        lastEpoch = r as EpochLine;
        epochs.push(r as Record<string, unknown>);
      }
      if (r.type === 'step' && typeof r.step === 'number') lastStep = r.step + 1;
    }
  } catch {
    // no metrics yet
  }
  let findings = 0;
  try {
    findings = readJsonLines(readFileSync(join(dir, 'findings.jsonl'), 'utf8')).length;
  } catch {
    // none
  }
  let snapshots = 0;
  try {
    snapshots = readdirSync(join(dir, 'snapshots')).filter((f) => f.endsWith('.safetensors')).length;
  } catch {
    // none
  }
  return {
    // The folder's name is the id actions use, even where run.json says otherwise (a copied folder).
    id: basename(dir),
    dir,
    name: record.name,
    // A paused run is a running one to anyone reading the folder.
    status: record.status === 'paused' ? 'running' : record.status,
    seed: record.seed,
    backend: record.backend,
    dataset: datasetLabel(record),
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    steps: record.final?.steps ?? lastStep,
    loss: record.final?.loss ?? lastEpoch?.loss ?? null,
    accuracy: record.final?.accuracy ?? lastEpoch?.accuracy ?? null,
    valAccuracy: record.final?.valAccuracy ?? lastEpoch?.valAccuracy ?? null,
    findings,
    snapshots,
    error: record.error,
    specName: record.spec.name ?? 'run',
    tags: Array.isArray(record.tags) ? record.tags.filter((t): t is string => typeof t === 'string') : [],
    best: bestMetric(epochs),
    hasModel: existsSync(join(dir, 'model', 'model.json')),
  };
}

/** Every run in a folder, newest first, summarised for the Runs screen. */
export function listRuns(runsDir: string): RunSummary[] {
  if (!existsSync(runsDir)) return [];
  const runs: RunSummary[] = [];
  for (const entry of readdirSync(runsDir)) {
    // The serve-mode trash and temporary folders are not runs.
    if (entry.startsWith('.')) continue;
    const summary = summarizeRun(join(runsDir, entry));
    if (summary) runs.push(summary);
  }
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
