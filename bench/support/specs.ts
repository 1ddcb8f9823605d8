/**
 * The benches' models as spec layers, and the spec they train them with: the bundled MNIST
 * digits (pixels / 255), Adam 1e-3, softmax cross-entropy from logits, probes every 50 steps
 * of 256 samples as in the app, no snapshots.
 */
import { Spec, type SpecInput } from '@contract';

export type Layers = SpecInput['model']['layers'];

/** The throughput bench's CNN (bench/throughput.mjs, bench/support/cnn.ts) as spec layers. */
export const BENCH_CNN: Layers = [
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 10 },
];
/** The throughput bench's MLP 784-128-10. */
export const BENCH_MLP: Layers = [{ type: 'flatten' }, { type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10 }];
/** The mnist-relu-nan / mnist-sigmoid-mse presets' shape with sigmoid units: 784-1000-10. */
export const WIDE_SIGMOID_MLP: Layers = [{ type: 'flatten' }, { type: 'dense', units: 1000, activation: 'sigmoid' }, { type: 'dense', units: 10, activation: 'sigmoid' }];

export function benchSpec(layers: Layers, batchSize: number, epochs = 1000): Spec {
  return Spec.parse({
    version: 1,
    dataset: { kind: 'builtin', name: 'mnist' },
    normalization: 'divide255',
    model: { layers },
    training: { optimizer: { type: 'adam', learningRate: 0.001 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, batchSize, epochs },
    monitor: { probeEvery: 50, probeSize: 256, snapshotEvery: 0 },
  });
}
