/**
 * Data-parallel training, the part both threads share: a replica of the network on a kernel
 * worker thread (kernelWorker.ts) and the gradient of one part of a batch (`partGradients`),
 * which the engine's thread runs on its own part with the same code. The messages between
 * them cross a thread boundary and are checked with a schema (`ReplicaMessage`).
 *
 * A step on a replica: the engine's current weights (all trainable variables, flat, in forward
 * order) are assigned to the replica's variables, its part of the batch runs forward
 * and backward, and [loss, accuracy, every gradient flat] go back (dataParallel.ts adds the
 * parts).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { Spec } from '@contract/spec';
import { inferShapes } from '@contract/specShapes';
import type { WasmBackendFull } from '../backend/wasm/kernelOps';
import { computeAccuracy, computeLoss, type TargetInfo } from './losses';
import { Network, type ForwardOptions } from './network';

const Build = z.strictObject({
  op: z.literal('build'),
  id: z.number().int().nonnegative(),
  spec: z.unknown(),
  inputShape: z.array(z.number().int().positive()).min(1),
  task: z.enum(['classification', 'regression']),
  outputs: z.number().int().positive(),
});
const Step = z.strictObject({
  op: z.literal('step'),
  id: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  /** The part's first row in the batch, and the batch's size. */
  begin: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  n: z.number().int().positive(),
});
const Free = z.strictObject({ op: z.literal('free'), id: z.number().int().nonnegative() });
export const ReplicaMessage = z.discriminatedUnion('op', [Build, Step, Free]);
export type ReplicaMessage = z.infer<typeof ReplicaMessage>;

/** The gradient of one part of a batch, and its mean loss and accuracy (NaN when there is none). */
export interface PartGradients {
  loss: tf.Scalar;
  accuracy: tf.Scalar;
  /** By variable name. */
  grads: tf.NamedTensorMap;
}

/**
 * The mean loss of a batch, or of a part of one, and its gradient with respect to `variables`,
 * inside the caller's tidy: the training step's forward and backward pass, on the engine's
 * thread (whole batches and data-parallel parts) and on the replicas alike. `forward.rows` places
 * a part in its batch (dropout keeps those rows of the batch's mask); `forward.batchStats`
 * collects batch normalisation's statistics.
 */
export function partGradients(
  network: Network,
  spec: Spec,
  target: TargetInfo,
  variables: tf.Variable[],
  x: tf.Tensor,
  y: tf.Tensor,
  step: number,
  forward: Pick<ForwardOptions, 'rows' | 'batchStats'> = {},
): PartGradients {
  // Kept out of the gradient function's tidy, handed to the caller's as a clone.
  let kept: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const prediction = network.forward(x, { training: true, step, ...forward });
    const loss = computeLoss(spec.training.loss, prediction, y, target);
    kept = tf.keep(computeAccuracy(prediction, y, target, spec.training.loss) ?? tf.scalar(Number.NaN));
    return loss;
  }, variables);
  const accuracy = tf.clone(kept!) as tf.Scalar;
  (kept as tf.Scalar | null)?.dispose();
  return { loss: value, accuracy, grads };
}

/** A part's samples as a step takes them: inputs flat, targets as float32 (class indices exact below 2²⁴). */
export interface PartSamples {
  n: number;
  x: Float32Array;
  y: Float32Array;
}

/**
 * One part's step into `out`: [loss, accuracy, every gradient flat in `variables` order], the
 * layout a replica sends back (dataParallel.ts adds the parts). Runs its own tidy.
 */
export function partStep(network: Network, spec: Spec, target: TargetInfo, inputShape: number[], variables: tf.Variable[], s: PartSamples, step: number, rows: { begin: number; total: number }, out: Float32Array): void {
  const backend = tf.backend() as unknown as WasmBackendFull;
  tf.tidy(() => {
    const x = tf.tensor(s.x, [s.n, ...inputShape], 'float32');
    const y = target.task === 'classification' ? tf.tensor1d(Int32Array.from(s.y), 'int32') : tf.tensor2d(s.y, [s.n, target.outputs]);
    const result = partGradients(network, spec, target, variables, x, y, step, { rows });
    out[0] = result.loss.dataSync()[0]!;
    out[1] = result.accuracy.dataSync()[0]!;
    let o = 2;
    for (const v of variables) {
      const grad = result.grads[v.name];
      if (!grad) throw new Error(`no gradient for ${v.name}`);
      out.set(backend.typedArrayFromHeap(grad), o);
      o += grad.size;
    }
  });
}

/** Floats in all of `variables`: the weights a replica step receives. */
export const weightCount = (variables: tf.Variable[]): number => variables.reduce((a, v) => a + v.size, 0);
/** Floats a replica step sends back: loss, accuracy, then every gradient. */
export const stepOutputSize = (variables: tf.Variable[]): number => 2 + weightCount(variables);

interface Replica {
  network: Network;
  spec: Spec;
  target: TargetInfo;
  inputShape: number[];
  variables: tf.Variable[];
}

/** The worker's replicas, by id. */
const replicas = new Map<number, Replica>();

/**
 * Runs one replica message on the worker thread. `inputs` are views of the shared buffer
 * (`weights` and `x`, `y` for a step); the step's result goes into `out`.
 */
export function runReplicaTask(raw: unknown, inputs: Record<string, Float32Array>, out: Float32Array): void {
  const message = ReplicaMessage.parse(raw);
  if (message.op === 'build') {
    const spec = Spec.parse(message.spec);
    const data = { inputShape: message.inputShape, task: message.task, outputs: message.outputs };
    const report = inferShapes(spec, data);
    if (report.issues.length > 0) throw new Error(`replica: the spec cannot be built: ${report.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    replicas.get(message.id)?.network.dispose();
    const network = Network.build(spec, report);
    replicas.set(message.id, { network, spec, target: { task: message.task, outputs: message.outputs }, inputShape: message.inputShape, variables: network.trainableVariables() });
    return;
  }
  const replica = replicas.get(message.id);
  if (!replica) throw new Error(`replica ${message.id} does not exist`);
  if (message.op === 'free') {
    replica.network.dispose();
    replicas.delete(message.id);
    return;
  }
  const { weights, x, y } = inputs;
  if (!weights || !x || !y) throw new Error('replica step: weights, x and y are required');
  const count = weightCount(replica.variables);
  if (count !== weights.length) throw new Error(`replica step: ${weights.length} weights, the network has ${count}`);
  let at = 0;
  for (const v of replica.variables) {
    // New tensors, not writes into the old ones: the wasm Conv2D and MatMul kernels keep
    // XNNPACK operators with the filter packed, cached by the filter's data id.
    tf.tidy(() => v.assign(tf.tensor(weights.subarray(at, at + v.size), v.shape, 'float32')));
    at += v.size;
  }
  const { n } = message;
  const sample = replica.inputShape.reduce((a, b) => a * b, 1);
  const classes = replica.target.task === 'classification';
  if (message.begin + n > message.total) throw new Error(`replica step: rows ${message.begin}–${message.begin + n} lie outside a batch of ${message.total}`);
  if (x.length !== n * sample) throw new Error(`replica step: x has ${x.length} values, expected ${n * sample}`);
  if (y.length !== (classes ? n : n * replica.target.outputs)) throw new Error(`replica step: y has ${y.length} values for ${n} samples`);
  if (out.length !== stepOutputSize(replica.variables)) throw new Error(`replica step: room for ${out.length} values, the result has ${stepOutputSize(replica.variables)}`);
  partStep(replica.network, replica.spec, replica.target, replica.inputShape, replica.variables, { n, x, y }, message.step, { begin: message.begin, total: message.total }, out);
}
