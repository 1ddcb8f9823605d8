/**
 * The network as plain tfjs ops over our own variables: forward passes capture every layer's
 * output when asked, dropout draws a new seeded mask each step, and nothing hides inside
 * tf.layers. Built from a spec whose shapes were inferred and checked first.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation, Layer, Spec } from '@contract/spec';
import type { ShapeReport } from '@contract/specShapes';
import { initialTensor, variableSeed } from './initializers';

/** tfjs keeps one registry of variable names: each network's names carry its own number. */
let networkCount = 0;

export type VariableRole = 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance';

export interface NetVariable {
  role: VariableRole;
  variable: tf.Variable;
  trainable: boolean;
}

export interface NetLayer {
  index: number;
  name: string;
  spec: Layer;
  outputShape: number[];
  /** The activation this layer applies (linear for layers without one). */
  activation: Activation;
  variables: NetVariable[];
}

export interface ForwardOptions {
  training: boolean;
  /** Distinguishes dropout masks between steps. */
  step?: number;
  /**
   * A part of a data-parallel step (dataParallel.ts): `x` holds rows [begin, begin + n) of a batch
   * of `total`. Dropout draws the whole batch's mask and keeps these rows, so the parts together
   * drop what one thread would.
   */
  rows?: { begin: number; total: number };
  /** When given, every layer's output is pushed here, in forward order. */
  capture?: tf.Tensor[];
  /** Stop after the layer at this position: inspection needs no layer past the one it looks at. */
  until?: number;
  /** Batch-norm batch statistics computed in training mode, applied after the step. */
  batchStats?: { layer: NetLayer; mean: tf.Tensor; variance: tf.Tensor }[];
  /** Replaces a layer's output before the next layer sees it: the gradient check's test seam. */
  after?: (layer: NetLayer, output: tf.Tensor) => tf.Tensor;
}

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

export function activate(x: tf.Tensor, activation: Activation, alpha: number): tf.Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, alpha);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'softmax':
      return tf.softmax(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      // The exact form, x·Φ(x), as PyTorch's default.
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
}

export class Network {
  private constructor(
    readonly layers: NetLayer[],
    private readonly seed: number,
  ) {}

  static build(spec: Spec, report: ShapeReport): Network {
    const seed = spec.training.seed;
    const id = ++networkCount;
    const layers: NetLayer[] = [];
    for (const shape of report.layers) {
      const layer = spec.model.layers[shape.index]!;
      const variables: NetVariable[] = [];
      const add = (role: VariableRole, tensor: tf.Tensor, trainable = true): void => {
        variables.push({ role, trainable, variable: tf.variable(tensor, trainable, `n${id}/${shape.name}/${role}`) });
        tensor.dispose();
      };
      let activation: Activation = 'linear';
      if (layer.type === 'dense' || layer.type === 'conv2d') {
        activation = layer.activation;
        const inputs = shape.inputShape[shape.inputShape.length - 1]!;
        const kernelShape =
          layer.type === 'dense' ? [inputs, layer.units] : [...pair(layer.kernelSize), inputs, layer.filters];
        const outputs = layer.type === 'dense' ? layer.units : layer.filters;
        add('kernel', initialTensor(layer.kernelInitializer, kernelShape, variableSeed(seed, shape.index, 0)));
        if (layer.useBias) add('bias', initialTensor(layer.biasInitializer, [outputs], variableSeed(seed, shape.index, 1)));
      } else if (layer.type === 'batchNormalization') {
        const channels = shape.inputShape[shape.inputShape.length - 1]!;
        add('gamma', tf.ones([channels]));
        add('beta', tf.zeros([channels]));
        add('movingMean', tf.zeros([channels]), false);
        add('movingVariance', tf.ones([channels]), false);
      } else if (layer.type === 'activation') {
        activation = layer.activation;
      }
      layers.push({ index: shape.index, name: shape.name, spec: layer, outputShape: shape.outputShape, activation, variables });
    }
    return new Network(layers, seed);
  }

  /** Trainable variables in forward order. */
  trainableVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables.filter((v) => v.trainable).map((v) => v.variable));
  }

  /** Runs the network on a batch [N, ...inputShape]. The caller owns tidying. */
  forward(x: tf.Tensor, options: ForwardOptions): tf.Tensor {
    let h = x;
    for (const [position, layer] of this.layers.entries()) {
      h = this.applyLayer(layer, h, options);
      if (options.after) h = options.after(layer, h);
      options.capture?.push(h);
      if (position === options.until) break;
    }
    return h;
  }

  private applyLayer(layer: NetLayer, x: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const spec = layer.spec;
    const v = (role: VariableRole): tf.Variable | undefined => layer.variables.find((entry) => entry.role === role)?.variable;
    switch (spec.type) {
      case 'input':
        return x;
      case 'dense': {
        const kernel = v('kernel')!;
        const bias = v('bias');
        // Fused matMul+bias(+relu) is one kernel on wasm and has gradients for linear and relu.
        if (spec.activation === 'relu' || spec.activation === 'linear') {
          return tf.fused.matMul({ a: x as tf.Tensor2D, b: kernel as tf.Tensor2D, bias, activation: spec.activation });
        }
        const z = bias ? tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias) : tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
        return activate(z, spec.activation, spec.alpha);
      }
      case 'conv2d': {
        const kernel = v('kernel')! as tf.Tensor4D;
        const bias = v('bias');
        const strides = pair(spec.strides);
        if (spec.activation === 'relu' || spec.activation === 'linear') {
          return tf.fused.conv2d({ x: x as tf.Tensor4D, filter: kernel, strides, pad: spec.padding, bias, activation: spec.activation });
        }
        const conv = tf.conv2d(x as tf.Tensor4D, kernel, strides, spec.padding);
        return activate(bias ? tf.add(conv, bias) : conv, spec.activation, spec.alpha);
      }
      case 'maxPooling2d':
        return tf.maxPool(x as tf.Tensor4D, pair(spec.poolSize), pair(spec.strides ?? spec.poolSize), spec.padding);
      case 'averagePooling2d':
        return tf.avgPool(x as tf.Tensor4D, pair(spec.poolSize), pair(spec.strides ?? spec.poolSize), spec.padding);
      case 'flatten':
        return tf.reshape(x, [x.shape[0]!, -1]);
      case 'dropout': {
        if (!options.training || spec.rate === 0) return x;
        const seed = (Math.imul(this.seed + 1, 2_654_435_761) ^ Math.imul((options.step ?? 0) + 1, 40_503) ^ (layer.index * 9_973)) >>> 0;
        const rows = options.rows;
        let uniform = tf.randomUniform(rows ? [rows.total, ...x.shape.slice(1)] : x.shape, 0, 1, 'float32', seed);
        if (rows) uniform = tf.slice(uniform, [rows.begin, ...x.shape.slice(1).map(() => 0)], x.shape);
        const keep = tf.cast(tf.greaterEqual(uniform, spec.rate), 'float32');
        return tf.mul(x, tf.mul(keep, 1 / (1 - spec.rate)));
      }
      case 'batchNormalization': {
        const axes = x.shape.map((_, i) => i).slice(0, -1);
        const gamma = v('gamma')!;
        const beta = v('beta')!;
        let mean: tf.Tensor;
        let variance: tf.Tensor;
        if (options.training) {
          ({ mean, variance } = tf.moments(x, axes));
          options.batchStats?.push({ layer, mean: tf.keep(mean), variance: tf.keep(variance) });
        } else {
          mean = v('movingMean')!;
          variance = v('movingVariance')!;
        }
        return tf.batchNorm(x, mean, variance, beta, gamma, spec.epsilon);
      }
      case 'activation':
        return activate(x, spec.activation, spec.alpha);
    }
  }

  /** Folds a training step's batch statistics into the moving averages (Keras's rule). */
  applyBatchStats(stats: NonNullable<ForwardOptions['batchStats']>): void {
    tf.tidy(() => {
      for (const { layer, mean, variance } of stats) {
        const spec = layer.spec as Extract<Layer, { type: 'batchNormalization' }>;
        const m = spec.momentum;
        const movingMean = layer.variables.find((v) => v.role === 'movingMean')!.variable;
        const movingVariance = layer.variables.find((v) => v.role === 'movingVariance')!.variable;
        movingMean.assign(tf.add(tf.mul(movingMean, m), tf.mul(mean, 1 - m)));
        movingVariance.assign(tf.add(tf.mul(movingVariance, m), tf.mul(variance, 1 - m)));
      }
    });
    for (const { mean, variance } of stats) {
      mean.dispose();
      variance.dispose();
    }
  }

  dispose(): void {
    for (const layer of this.layers) for (const { variable } of layer.variables) variable.dispose();
  }
}
