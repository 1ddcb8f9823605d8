/**
 * Checks a run folder after a crash or a disk fault: every complete line of metrics.jsonl
 * parses, every *.safetensors snapshot decodes whole, and anything else in snapshots/ is a
 * temporary `*.tmp-PID` leftover of a write that never finished (never a truncated snapshot).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors } from '../../src-main/engine/runs/safetensors';

export interface RunFolderCheck {
  /** Complete metrics records (the torn last line, if any, not counted). */
  records: unknown[];
  /** Whole snapshots, by file name. */
  snapshots: string[];
  /** Temporary files of snapshot or run.json writes that were cut short. */
  leftovers: string[];
}

/** Throws, naming the file, when anything in the folder is not whole. */
export function checkRunFolder(runDir: string): RunFolderCheck {
  const text = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8');
  const lines = text.split('\n');
  const complete = lines.slice(0, -1); // after the last newline: empty, or a torn line
  const records = complete.filter((l) => l.length > 0).map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new Error(`${join(runDir, 'metrics.jsonl')}:${i + 1}: a complete line does not parse: ${line.slice(0, 80)}`);
    }
  });
  const snapshots: string[] = [];
  const leftovers: string[] = [];
  for (const file of readdirSync(join(runDir, 'snapshots'))) {
    if (/\.tmp-\d+$/.test(file)) {
      leftovers.push(file);
      continue;
    }
    if (!file.endsWith('.safetensors')) throw new Error(`snapshots/${file}: neither a snapshot nor a temporary file`);
    const decoded = decodeSafetensors(readFileSync(join(runDir, 'snapshots', file)), file);
    if (decoded.tensors.size === 0) throw new Error(`snapshots/${file}: holds no tensors`);
    snapshots.push(file);
  }
  return { records, snapshots, leftovers };
}
