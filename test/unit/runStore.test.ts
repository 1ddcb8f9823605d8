import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spec } from '@contract';
import { RunWriter } from '../../src-main/engine/runs/runWriter';
import { listRuns, markInterrupted, readJsonLines } from '../../src-main/engine/runs/runStore';
import { decodeSafetensors, encodeSafetensors } from '../../src-main/engine/runs/safetensors';

const spec = Spec.parse({ version: 1, name: 'tiny', dataset: { kind: 'builtin', name: 'abs' }, model: { layers: [{ type: 'dense', units: 1 }] } });

describe('run store', () => {
  it('ignores a torn last line and keeps every complete one', () => {
    expect(readJsonLines('{"a":1}\n{"a":2}\n{"a":')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(readJsonLines('{"a":1}\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(readJsonLines('')).toEqual([]);
  });

  it('writes a run that reads back, and marks a run left running as interrupted', () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-runs-'));
    const writer = new RunWriter(root, spec, 'wasm', { tfjs: '4.22.0' });
    writer.appendMetrics([{ type: 'step', step: 0, loss: 1 }, { type: 'epoch', epoch: 0, step: 1, loss: 0.9, accuracy: null, valAccuracy: null }]);
    writer.writeSnapshot({ jobId: 'j', step: 1, epoch: 0, tensors: [{ layer: 'dense_1', role: 'kernel', shape: [2, 1], data: new Float32Array([0.5, -1]) }] });
    // The engine dies here: the last append is torn.
    appendFileSync(join(writer.dir, 'metrics.jsonl'), '{"type":"step","st');
    let [run] = listRuns(root);
    expect(run).toMatchObject({ name: 'tiny', status: 'running', steps: 1, loss: 0.9, snapshots: 1 });
    expect(markInterrupted(root, new Set([writer.dir]))).toEqual([]);
    expect(markInterrupted(root)).toEqual([writer.dir]);
    [run] = listRuns(root);
    expect(run!.status).toBe('interrupted');
    expect(run!.error).toContain('everything written until then is kept');
    const record = JSON.parse(readFileSync(join(writer.dir, 'run.json'), 'utf8')) as { status: string };
    expect(record.status).toBe('interrupted');
  });

  it('skips folders that are not runs', () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-runs-'));
    mkdirSync(join(root, 'not-a-run'));
    writeFileSync(join(root, 'not-a-run', 'run.json'), '{ torn');
    writeFileSync(join(root, 'stray.txt'), 'x');
    expect(listRuns(root)).toEqual([]);
    expect(listRuns(join(root, 'missing'))).toEqual([]);
  });
});

describe('safetensors', () => {
  it('writes the standard layout: u64 LE header length, JSON header, aligned F32 data', () => {
    const bytes = encodeSafetensors([{ name: 'a/kernel', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, { name: 'a/bias', shape: [2], data: new Float32Array([-1, 0.5]) }], { step: '7' });
    const view = new DataView(bytes.buffer);
    const headerLength = Number(view.getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    expect(header['a/kernel']).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header['a/bias']).toEqual({ dtype: 'F32', shape: [2], data_offsets: [16, 24] });
    expect(view.getFloat32(8 + headerLength + 16, true)).toBe(-1);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ step: '7' });
    expect(Array.from(decoded.tensors.get('a/kernel')!.data)).toEqual([1, 2, 3, 4]);
  });

  it('refuses malformed files with what is wrong', () => {
    expect(() => decodeSafetensors(new Uint8Array(4), 'x.safetensors')).toThrow(/x\.safetensors: 4 bytes/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(() => decodeSafetensors(huge, 'y.safetensors')).toThrow(/y\.safetensors: header of 1000 bytes/);
  });
});
