/**
 * For networks with a 2-D input: the network's output and its first dense layer's units over a
 * grid of the input plane, as TensorFlow Playground draws them. The grid is made once per job.
 */
import * as tf from '@tensorflow/tfjs';
import type { Surface } from '@contract';
import type { Network } from './network';

export class InputPlane {
  /** Grid points of the input plane: a square a little larger than [-1, 1]². */
  private grid: { x: tf.Tensor; size: number; extent: [number, number, number, number] } | null = null;

  /** The network's output and its first dense layer's units over the input plane. */
  async measure(network: Network): Promise<Surface> {
    if (!this.grid) {
      const size = 41;
      const extent: [number, number, number, number] = [-1.2, 1.2, -1.2, 1.2];
      const points = new Float32Array(size * size * 2);
      for (let row = 0; row < size; row++) {
        for (let col = 0; col < size; col++) {
          const k = row * size + col;
          points[2 * k] = extent[0] + ((extent[1] - extent[0]) * col) / (size - 1);
          points[2 * k + 1] = extent[3] - ((extent[3] - extent[2]) * row) / (size - 1);
        }
      }
      this.grid = { x: tf.tensor2d(points, [size * size, 2]), size, extent };
    }
    const grid = this.grid;
    const first = network.layers.find((l) => l.spec.type === 'dense');
    const firstIndex = first ? network.layers.indexOf(first) : -1;
    const [output, unitOutput] = tf.tidy(() => {
      const capture: tf.Tensor[] = [];
      const out = network.forward(grid.x, { training: false, capture });
      return [tf.keep(tf.clone(out)), firstIndex >= 0 ? tf.keep(tf.clone(capture[firstIndex]!)) : tf.keep(tf.zeros([grid.size * grid.size, 0]))];
    });
    const outputData = (await output.data()) as Float32Array;
    const unitData = (await unitOutput.data()) as Float32Array;
    const outputs = output.shape[1] ?? 1;
    const units = unitOutput.shape[1] ?? 0;
    output.dispose();
    unitOutput.dispose();
    const kernel = first?.variables.find((v) => v.role === 'kernel')?.variable;
    const bias = first?.variables.find((v) => v.role === 'bias')?.variable;
    return {
      size: grid.size,
      extent: grid.extent,
      outputs,
      output: outputData,
      unitsLayer: first?.name ?? null,
      units,
      unitOutput: unitData,
      kernel: kernel ? ((await kernel.data()) as Float32Array) : new Float32Array(0),
      bias: bias ? ((await bias.data()) as Float32Array) : new Float32Array(units),
    };
  }

  dispose(): void {
    this.grid?.x.dispose();
    this.grid = null;
  }
}
