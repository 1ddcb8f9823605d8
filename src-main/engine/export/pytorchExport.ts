/**
 * A spec and its data as the files of a PyTorch export: train.py (pytorchScript.ts), data.npz
 * (the samples as Trainbench feeds them to the network: normalised float32, after the dataset's
 * own preparation) and, when weights are given, weights.npz (Trainbench's names and layouts).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferShapes, type Spec } from '@contract';
import type { SampleSet, TrainingData } from '../training/trainingData';
import { encodeNpz, type NpyEntry } from './npz';
import { pytorchScript, type ScriptOrigin } from './pytorchScript';

export interface ExportFile {
  name: 'train.py' | 'data.npz' | 'weights.npz';
  bytes: Uint8Array;
}

export interface ExportWeights {
  /** By `layer/role`, as in a snapshot; probe activations are not weights and are not written. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** Which weights, in words: "the final weights (step 1500)". */
  label: string;
}

/** A split's samples as float32 inputs [N, ...inputShape] and targets (int32 classes, or float32 [N, outputs]). */
function splitArrays(data: TrainingData, set: SampleSet, prefix: 'train' | 'test'): NpyEntry[] {
  const n = set.count;
  const sample = data.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * sample);
  const classification = data.task === 'classification';
  const y = classification ? new Int32Array(n) : new Float32Array(n * data.outputs);
  set.fill(Int32Array.from({ length: n }, (_, i) => i), x, y);
  return [
    { name: `x_${prefix}`, shape: [n, ...data.inputShape], values: x },
    { name: `y_${prefix}`, shape: classification ? [n] : [n, data.outputs], values: y },
  ];
}

/** data.npz's arrays: x_train, y_train, and x_test, y_test where the dataset holds a test split. */
export function dataArrays(data: TrainingData): NpyEntry[] {
  return [...splitArrays(data, data.train, 'train'), ...(data.test ? splitArrays(data, data.test, 'test') : [])];
}

/** The export's files, in memory. Throws ExportRefused for what PyTorch cannot train the same way. */
export function pytorchExportFiles(spec: Spec, data: TrainingData, origin: ScriptOrigin, weights?: ExportWeights): ExportFile[] {
  const report = inferShapes(spec, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
  const script = pytorchScript(spec, report, data, origin);
  const files: ExportFile[] = [
    { name: 'train.py', bytes: new TextEncoder().encode(script) },
    { name: 'data.npz', bytes: encodeNpz(dataArrays(data)) },
  ];
  if (weights) {
    const entries: NpyEntry[] = [];
    for (const [name, t] of weights.tensors) if (!name.endsWith('/activation')) entries.push({ name, shape: t.shape, values: t.data });
    files.push({ name: 'weights.npz', bytes: encodeNpz(entries) });
  }
  return files;
}

/** Writes the files into `dir` (made if missing), each to a temporary name first; returns their paths. */
export function writeExportFiles(dir: string, files: ExportFile[]): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((file) => {
    const path = join(dir, file.name);
    const temporary = `${path}.tmp-${process.pid}`;
    writeFileSync(temporary, file.bytes, file.name === 'train.py' ? { mode: 0o755 } : {});
    renameSync(temporary, path);
    return path;
  });
}
