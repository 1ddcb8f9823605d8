/**
 * Trainbench's network beside its PyTorch export, for the unit test and bench/pytorch-export:
 * finds a Python with torch (Debian's python3-torch, which .ci/run installs), runs the exported
 * network on Trainbench's probe batch from the same weights, and reads back what torch computed.
 * The caller picks the tfjs backend.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferShapes, type Spec } from '@contract';
import { Network } from '../../src-main/engine/training/network';
import { mulberry32, shuffleInPlace, type TrainingData } from '../../src-main/engine/training/trainingData';
import { pytorchExportFiles, writeExportFiles } from '../../src-main/engine/export/pytorchExport';
import { encodeNpz } from '../../src-main/engine/export/npz';
import { parseNpy } from '../../src-main/engine/datasets';
import { decodeSafetensors } from '../../src-main/engine/runs/safetensors';

let found: { python: string } | { missing: string } | null = null;

/** An interpreter with torch and numpy: Debian's first (the python3 on PATH may be another), or why there is none. */
export function torchPython(): { python: string } | { missing: string } {
  if (found) return found;
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (r.status === 0) return (found = { python });
  }
  return (found = { missing: 'no Python with torch and numpy (/usr/bin/python3 or python3 on PATH): apt-get install -y python3-torch' });
}

export const TEST_ORIGIN = { source: 'test', data: 'test data', trainbenchVersion: 'test' };

export type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

export function tensorsOf(net: Network): Tensors {
  const out: Tensors = new Map();
  for (const layer of net.layers) for (const { role, variable } of layer.variables) out.set(`${layer.name}/${role}`, { shape: variable.shape, data: variable.dataSync() as Float32Array });
  return out;
}

/** Trainbench's probe batch (trainer.ts makeProbe): the first probeSize rows of a seeded permutation. */
export function probeBatch(spec: Spec, data: TrainingData): { x: Float32Array; shape: number[] } {
  const count = Math.min(spec.monitor.probeSize, data.train.count);
  const order = shuffleInPlace(Int32Array.from({ length: data.train.count }, (_, i) => i), mulberry32(spec.training.seed ^ 0x9e37));
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * size);
  const y = data.task === 'classification' ? new Int32Array(count) : new Float32Array(count * data.outputs);
  data.train.fill(order.subarray(0, count), x, y);
  return { x, shape: [count, ...data.inputShape] };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`${a.length} values against ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export interface TrainbenchSide {
  /** The weights Network.build made from the spec's seed. */
  initial: Tensors;
  /** Those moved by a seeded amount: the weights compared. */
  weights: Tensors;
  /** tfjs's output on the probe batch with `weights`, in inference mode. */
  expected: Float32Array;
  probe: { x: Float32Array; shape: number[] };
}

/**
 * Builds the spec's network in tfjs from its seed, keeps those weights, then moves every weight
 * by a seeded amount (biases and batch-norm statistics start at 0 and 1, which would hide a
 * layout error), and runs the probe batch in inference mode.
 */
export function trainbenchSide(spec: Spec, data: TrainingData): TrainbenchSide {
  const report = inferShapes(spec, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
  const net = Network.build(spec, report);
  try {
    const initial = tensorsOf(net);
    const random = mulberry32(7);
    for (const layer of net.layers) {
      for (const { role, variable } of layer.variables) {
        const values = Float32Array.from(variable.dataSync() as Float32Array, (v) => (role === 'movingVariance' ? v + random() : v + (random() - 0.5) * 0.2));
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      }
    }
    const weights = tensorsOf(net);
    const probe = probeBatch(spec, data);
    const expected = tf.tidy(() => net.forward(tf.tensor(probe.x, probe.shape), { training: false }).dataSync() as Float32Array);
    return { initial, weights, expected, probe };
  } finally {
    net.dispose();
  }
}

export interface TorchComparison {
  /** Max |torch − tfjs| over the probe batch's outputs. */
  outputDiff: number;
  /** Max |script's seed initialisation − Network.build's|; null when not compared. */
  initDiff: number | null;
  /** The weights came back from torch (as safetensors) bit for bit, under the same names. */
  roundTrip: boolean;
}

const sameBits = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * Exports `spec` with the side's weights, runs the script's network on the probe batch in
 * torch, and compares with tfjs; with `checkInit`, also the script's seed initialisation.
 */
export function compareWithTorch(spec: Spec, data: TrainingData, side: TrainbenchSide, checkInit: boolean): TorchComparison {
  const py = torchPython();
  if ('missing' in py) throw new Error(py.missing);
  const dir = mkdtempSync(join(tmpdir(), 'tb-torch-'));
  try {
    writeExportFiles(dir, pytorchExportFiles(spec, data, TEST_ORIGIN, { tensors: side.weights, label: 'test' }));
    writeFileSync(join(dir, 'probe.npz'), encodeNpz([{ name: 'x', shape: side.probe.shape, values: side.probe.x }]));
    const driver = `
import sys, numpy as np, torch
sys.path.insert(0, ".")
import train
net = train.Network()
net.load_trainbench(train.read_weights("weights.npz"))
net.eval()
with torch.no_grad():
    out = net(torch.from_numpy(np.load("probe.npz")["x"])).numpy()
np.save("out.npy", out.astype(np.float32))
train.save_safetensors("roundtrip.safetensors", net.trainbench_tensors(), {"step": 0})
if ${checkInit ? 'True' : 'False'}:
    fresh = train.Network()
    fresh.initialise(${spec.training.seed})
    train.save_safetensors("init.safetensors", fresh.trainbench_tensors(), {})
`;
    const r = spawnSync(py.python, ['-c', driver], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`the exported network failed in torch (${r.status}): ${r.stderr}`);
    const out = parseNpy('out.npy', new Uint8Array(readFileSync(join(dir, 'out.npy'))));
    const outputDiff = maxAbsDiff(out.values as Float32Array, side.expected);
    const back = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'roundtrip.safetensors')))).tensors;
    let roundTrip = back.size === side.weights.size;
    for (const [name, t] of side.weights) {
      const got = back.get(name);
      roundTrip &&= !!got && JSON.stringify(got.shape) === JSON.stringify(t.shape) && sameBits(got.data, t.data);
    }
    let initDiff: number | null = null;
    if (checkInit) {
      const init = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'init.safetensors')))).tensors;
      initDiff = 0;
      for (const [name, t] of side.initial) {
        const got = init.get(name);
        if (!got) throw new Error(`the script's initialisation has no ${name}`);
        initDiff = Math.max(initDiff, maxAbsDiff(got.data, t.data));
      }
    }
    return { outputDiff, initDiff, roundTrip };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
