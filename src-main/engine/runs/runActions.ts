/**
 * What the Runs screen does to a saved run: rename, tag, move to the runs folder's own trash
 * (serve mode; the desktop app uses the system trash), export. A run is named by its id, the
 * name of its folder directly under the runs folder; every action resolves the id there first
 * and refuses anything else, so no request reaches outside the runs folder.
 * Plain Node: used by the engine and by the host, never imports Electron.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ContractError, RunId, type RunExport, type RunExportWhat, type RunSummary } from '@contract';
import { readJsonLines, readRecord, summarizeRun } from './runStore';
import type { RunRecord } from './runWriter';
import { tarFiles } from './tarWriter';

/** The folder of run `runId` under `runsDir`; throws a ContractError naming what is wrong. */
export function resolveRunDir(runsDir: string, runId: string): string {
  const parsed = RunId.safeParse(runId);
  if (!parsed.success) {
    throw new ContractError({ code: 'invalid-payload', message: `run id "${runId}": ${parsed.error.issues[0]?.message ?? 'invalid'}`, issues: [{ path: 'runId', message: 'not a run folder name' }] });
  }
  const root = resolve(runsDir);
  const dir = resolve(root, runId);
  if (dirname(dir) !== root || basename(dir) !== runId) {
    throw new ContractError({ code: 'invalid-payload', message: `run id "${runId}" is not a folder directly under ${root}`, issues: [{ path: 'runId', message: 'outside the runs folder' }] });
  }
  let isRun = false;
  try {
    // A symbolic link could point anywhere: only real folders holding a run.json are runs.
    isRun = lstatSync(dir).isDirectory() && lstatSync(join(dir, 'run.json')).isFile();
  } catch {
    isRun = false;
  }
  if (!isRun) throw new ContractError({ code: 'not-found', message: `no run "${runId}" in ${root}` });
  return dir;
}

function summary(dir: string): RunSummary {
  const result = summarizeRun(dir);
  if (!result) throw new ContractError({ code: 'failed', message: `${join(dir, 'run.json')} could not be read back` });
  return result;
}

/** Rewrites run.json with `change` applied, atomically (temporary name, then rename). */
function updateRecord(dir: string, change: (record: RunRecord) => void): void {
  const record = readRecord(dir);
  if (!record) throw new ContractError({ code: 'failed', message: `${join(dir, 'run.json')} is not readable JSON` });
  change(record);
  const path = join(dir, 'run.json');
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, path);
}

export function renameRun(runsDir: string, runId: string, name: string): RunSummary {
  const dir = resolveRunDir(runsDir, runId);
  const trimmed = name.trim();
  if (trimmed === '') throw new ContractError({ code: 'invalid-payload', message: 'a run name cannot be empty', issues: [{ path: 'name', message: 'empty' }] });
  updateRecord(dir, (record) => (record.name = trimmed));
  return summary(dir);
}

/** Sets a run's tags (trimmed, duplicates dropped, in the order given). */
export function tagRun(runsDir: string, runId: string, tags: string[]): RunSummary {
  const dir = resolveRunDir(runsDir, runId);
  const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
  updateRecord(dir, (record) => (record.tags = unique));
  return summary(dir);
}

/** Refuses to delete a run that is still being written. */
export function assertNotRunning(dir: string): void {
  const record = readRecord(dir);
  if (record && (record.status === 'running' || record.status === 'paused')) {
    throw new ContractError({ code: 'busy', message: `run "${basename(dir)}" is still ${record.status}: stop it before deleting it` });
  }
}

/** serve mode's delete: moves the run to `<runsDir>/.trash/<id>` (a numbered name if taken); returns where. */
export function moveToRunsTrash(runsDir: string, runId: string): string {
  const dir = resolveRunDir(runsDir, runId);
  assertNotRunning(dir);
  const trash = join(resolve(runsDir), '.trash');
  mkdirSync(trash, { recursive: true });
  let target = join(trash, runId);
  for (let n = 2; existsSync(target); n++) target = join(trash, `${runId}-${n}`);
  renameSync(dir, target);
  return target;
}

const csvCell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/**
 * metrics.jsonl as CSV: one row per record, one column per scalar field (in order of first
 * appearance, `type` first); per-layer arrays are left out, a CSV cell holds one number.
 */
export function metricsCsv(jsonl: string): string {
  const records = readJsonLines(jsonl).filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null);
  const columns: string[] = ['type'];
  for (const r of records) {
    for (const [key, value] of Object.entries(r)) {
      if (!columns.includes(key) && (value === null || ['number', 'string', 'boolean'].includes(typeof value))) columns.push(key);
    }
  }
  const rows = records.map((r) => columns.map((c) => csvCell(r[c])).join(','));
  return `${[columns.join(','), ...rows].join('\n')}\n`;
}

interface FindingLine {
  change?: string;
  code?: string;
  severity?: string;
  step?: number;
  epoch?: number;
  layer?: string;
  units?: number[];
  message?: string;
  evidence?: Record<string, unknown>;
  suggestions?: { label?: string; set?: Record<string, unknown> }[];
}

/** findings.jsonl as Markdown: one section per finding, its latest state (updates fold into the finding they grow). */
export function findingsMarkdown(record: RunRecord, jsonl: string): string {
  const latest = new Map<string, FindingLine>();
  for (const line of readJsonLines(jsonl) as FindingLine[]) {
    const key = `${line.code ?? '?'}|${line.layer ?? ''}|${line.change === 'update' ? '' : String(line.step)}`;
    // An update names the same code and layer as the finding it grows.
    const target = line.change === 'update' ? [...latest.keys()].reverse().find((k) => k.startsWith(`${line.code ?? '?'}|${line.layer ?? ''}|`)) ?? key : key;
    latest.set(target, line);
  }
  const out = [`# Findings: ${record.name}`, '', `- spec: ${record.spec.name ?? 'run'}`, `- seed: ${record.seed}`, `- backend: ${record.backend}`, `- status: ${record.status}`, `- started: ${record.startedAt}`, ''];
  if (latest.size === 0) out.push('No findings were raised.', '');
  for (const f of latest.values()) {
    out.push(`## ${f.severity ?? 'info'}: ${f.code ?? 'unknown'}${f.layer ? ` in ${f.layer}` : ''}`, '');
    out.push(`Step ${f.step ?? '?'} (epoch ${f.epoch ?? '?'})${f.units && f.units.length > 0 ? `, units ${f.units.join(', ')}` : ''}.`, '');
    if (f.message) out.push(f.message, '');
    const evidence = Object.entries(f.evidence ?? {});
    if (evidence.length > 0) {
      out.push('| evidence | value |', '|---|---|');
      for (const [k, v] of evidence) out.push(`| ${k} | ${JSON.stringify(v).replace(/\|/g, '\\|')} |`);
      out.push('');
    }
    const suggestions = f.suggestions ?? [];
    if (suggestions.length > 0) {
      out.push('Suggestions:', '');
      for (const s of suggestions) out.push(`- ${s.label ?? ''}: \`${JSON.stringify(s.set ?? {})}\``);
      out.push('');
    }
  }
  return out.join('\n');
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A run's model, metrics or findings as one file to save. */
export function exportRun(runsDir: string, runId: string, what: Exclude<RunExportWhat, 'pytorch'>): RunExport {
  const dir = resolveRunDir(runsDir, runId);
  const record = readRecord(dir);
  if (!record) throw new ContractError({ code: 'failed', message: `${join(dir, 'run.json')} is not readable JSON` });
  const read = (name: string): string => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  switch (what) {
    case 'metrics-csv':
      return { fileName: `${runId}-metrics.csv`, mediaType: 'text/csv', bytes: utf8(metricsCsv(read('metrics.jsonl'))), path: null };
    case 'findings-md':
      return { fileName: `${runId}-findings.md`, mediaType: 'text/markdown', bytes: utf8(findingsMarkdown(record, read('findings.jsonl'))), path: null };
    case 'model': {
      const modelDir = join(dir, 'model');
      const json = join(modelDir, 'model.json');
      if (!existsSync(json)) {
        const why = record.model?.reason ?? (record.status === 'running' ? 'the run is still training' : 'the run ended before a model was written');
        throw new ContractError({ code: 'not-found', message: `run "${runId}" has no model: ${why}` });
      }
      const manifest = JSON.parse(readFileSync(json, 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
      const weightFiles = (manifest.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
      const files = [{ name: 'model/model.json', data: readFileSync(json) }];
      for (const p of weightFiles) {
        if (basename(p) !== p) throw new ContractError({ code: 'failed', message: `${json}: weights path "${p}" is not a file beside model.json` });
        files.push({ name: `model/${p}`, data: readFileSync(join(modelDir, p)) });
      }
      return { fileName: `${runId}-model.tar`, mediaType: 'application/x-tar', bytes: tarFiles(files), path: modelDir };
    }
  }
}
