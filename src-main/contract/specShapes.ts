/**
 * Shape inference and the checks that a spec can be built, as pure functions: the Model
 * screen shows their result on every edit, the engine refuses a spec they reject. Shapes are
 * per sample (no batch axis), channels last: [H, W, C] for images, [n] for vectors.
 */
import { z } from 'zod';
import { Spec, type Layer, type Loss } from './spec';

export interface SpecIssue {
  /** Field path, e.g. `model.layers.3.units`. */
  path: string;
  message: string;
}

export interface LayerShape {
  index: number;
  type: Layer['type'];
  /** The layer's name: its own, or `type_N` counted per type as Keras does. */
  name: string;
  inputShape: number[];
  outputShape: number[];
  /** Parameters as tfjs counts them (batch norm's moving statistics included). */
  params: number;
  trainableParams: number;
  /** Multiply-adds per sample, the usual FLOP estimate's half. */
  macs: number;
}

/** What the dataset tells about input and target, when known. */
export interface DataShape {
  inputShape: number[];
  task: 'classification' | 'regression';
  /** Classes for classification; target width for regression. */
  outputs: number;
}

export interface ShapeReport {
  layers: LayerShape[];
  issues: SpecIssue[];
  totalParams: number;
  trainableParams: number;
  /** FLOPs per sample of a forward pass (2 × multiply-adds). */
  flopsPerSample: number;
  /** float32 bytes of all layer outputs for one sample (activations kept for backprop). */
  activationBytesPerSample: number;
  outputShape: number[] | null;
}

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);
const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: number[]): string => `[${shape.join(', ')}]`;

function spatial(size: number, kernel: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/**
 * Infers every layer's output shape and parameter count, and lists every problem with the
 * field path it concerns. Stops propagating shapes at the first layer that cannot be built.
 */
export function inferShapes(spec: Spec, data?: DataShape): ShapeReport {
  const issues: SpecIssue[] = [];
  const layers: LayerShape[] = [];
  const counters = new Map<string, number>();
  const names = new Map<string, number>();
  let shape: number[] | null = data?.inputShape ?? null;
  const specLayers = spec.model.layers;

  specLayers.forEach((layer, index) => {
    const path = `model.layers.${index}`;
    const count = (counters.get(layer.type) ?? 0) + 1;
    counters.set(layer.type, count);
    const name = layer.name ?? `${layer.type}_${count}`;
    const previous = names.get(name);
    if (previous !== undefined) issues.push({ path: `${path}.name`, message: `"${name}" is already the name of layer ${previous}` });
    names.set(name, index);

    if (layer.type === 'input') {
      if (index !== 0) {
        issues.push({ path: `${path}.type`, message: 'an input layer can only come first' });
        return;
      }
      if (data && fmt(layer.shape) !== fmt(data.inputShape)) {
        issues.push({ path: `${path}.shape`, message: `the dataset's samples are ${fmt(data.inputShape)}, not ${fmt(layer.shape)}` });
      }
      shape = layer.shape;
      layers.push({ index, type: layer.type, name, inputShape: layer.shape, outputShape: layer.shape, params: 0, trainableParams: 0, macs: 0 });
      return;
    }
    if (shape === null) {
      if (index === 0) issues.push({ path: `${path}`, message: 'the input shape is unknown: choose a dataset or start with an input layer' });
      return;
    }
    const input: number[] = shape;
    let output: number[] = input;
    let params = 0;
    let trainable = 0;
    let macs = 0;
    const fail = (field: string, message: string): void => {
      issues.push({ path: field ? `${path}.${field}` : path, message });
    };

    switch (layer.type) {
      case 'dense': {
        if (input.length !== 1) {
          fail('', `dense needs a flat input, got ${fmt(input)}: add a flatten layer before it`);
          shape = null;
          return;
        }
        const n = input[0]!;
        params = n * layer.units + (layer.useBias ? layer.units : 0);
        trainable = params;
        macs = n * layer.units;
        output = [layer.units];
        // A softmax over 1 unit (always 1) builds and trains, uselessly: the diagnosis's
        // loss-mismatch names it as an error, as the Model screen's loss check does.
        break;
      }
      case 'conv2d': {
        if (input.length !== 3) {
          fail('', `conv2d needs an [height, width, channels] input, got ${fmt(input)}`);
          shape = null;
          return;
        }
        const [h, w, c] = input as [number, number, number];
        const [kh, kw] = pair(layer.kernelSize);
        const [sh, sw] = pair(layer.strides);
        const oh = spatial(h, kh, sh, layer.padding);
        const ow = spatial(w, kw, sw, layer.padding);
        if (oh < 1 || ow < 1) {
          fail('kernelSize', `a ${kh}×${kw} kernel does not fit a ${h}×${w} input with valid padding: use padding "same" or a smaller kernel`);
          shape = null;
          return;
        }
        params = kh * kw * c * layer.filters + (layer.useBias ? layer.filters : 0);
        trainable = params;
        macs = oh * ow * kh * kw * c * layer.filters;
        output = [oh, ow, layer.filters];
        if (layer.activation === 'softmax') fail('activation', 'softmax on a conv2d layer normalises across filters at each pixel; use it on the final dense layer');
        break;
      }
      case 'maxPooling2d':
      case 'averagePooling2d': {
        if (input.length !== 3) {
          fail('', `${layer.type} needs an [height, width, channels] input, got ${fmt(input)}`);
          shape = null;
          return;
        }
        const [h, w, c] = input as [number, number, number];
        const [ph, pw] = pair(layer.poolSize);
        const [sh, sw] = pair(layer.strides ?? layer.poolSize);
        const oh = spatial(h, ph, sh, layer.padding);
        const ow = spatial(w, pw, sw, layer.padding);
        if (oh < 1 || ow < 1) {
          fail('poolSize', `a ${ph}×${pw} pool does not fit a ${h}×${w} input`);
          shape = null;
          return;
        }
        output = [oh, ow, c];
        macs = oh * ow * c * ph * pw;
        break;
      }
      case 'flatten':
        output = [product(input)];
        break;
      case 'dropout':
      case 'activation':
        output = input;
        break;
      case 'batchNormalization': {
        const channels = input[input.length - 1]!;
        params = 4 * channels;
        trainable = 2 * channels;
        macs = 2 * product(input);
        break;
      }
    }
    layers.push({ index, type: layer.type, name, inputShape: input, outputShape: output, params, trainableParams: trainable, macs });
    shape = output;
  });

  const outputShape: number[] | null = shape;
  if (outputShape && data) checkOutput(spec, outputShape, data, issues);
  const totalParams = layers.reduce((sum, l) => sum + l.params, 0);
  const trainableParams = layers.reduce((sum, l) => sum + l.trainableParams, 0);
  const macs = layers.reduce((sum, l) => sum + l.macs, 0);
  const activationBytesPerSample = layers.reduce((sum, l) => sum + 4 * product(l.outputShape), 0);
  return { layers, issues, totalParams, trainableParams, flopsPerSample: 2 * macs, activationBytesPerSample, outputShape };
}

/** The last layer's activation, looking through trailing dropout and activation layers. */
export function outputActivation(layers: Layer[]): string {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.type === 'activation' || layer.type === 'dense' || layer.type === 'conv2d') return layer.activation;
    if (layer.type !== 'dropout') return 'linear';
  }
  return 'linear';
}

function checkOutput(spec: Spec, output: number[], data: DataShape, issues: SpecIssue[]): void {
  const last = `model.layers.${spec.model.layers.length - 1}`;
  const loss: Loss = spec.training.loss;
  if (output.length !== 1) {
    issues.push({ path: last, message: `the network outputs ${fmt(output)} per sample; end with a flatten and a dense layer` });
    return;
  }
  const width = output[0]!;
  if (loss.type === 'sparseCategoricalCrossentropy' || loss.type === 'categoricalCrossentropy') {
    if (data.task !== 'classification') {
      issues.push({ path: 'training.loss.type', message: `${loss.type} needs class labels, but the dataset's target is a regression value: use mse or mae` });
    } else if (width !== data.outputs) {
      issues.push({ path: `${last}.units`, message: `the dataset has ${data.outputs} classes, so the last layer needs ${data.outputs} units, not ${width}` });
    }
  } else if (loss.type === 'binaryCrossentropy') {
    if (data.task === 'classification' && data.outputs > 2) {
      issues.push({ path: 'training.loss.type', message: `binaryCrossentropy is for 2 classes; the dataset has ${data.outputs}: use sparseCategoricalCrossentropy` });
    } else if (width !== 1 && !(data.task === 'regression' && width === data.outputs)) {
      issues.push({ path: `${last}.units`, message: `binaryCrossentropy needs 1 output unit, not ${width}` });
    }
  } else {
    const expected = data.task === 'classification' ? data.outputs : data.outputs;
    // One unit regressing the 0/1 label of a 2-class set trains (a sigmoid or linear output
    // with MSE/MAE): the diagnosis warns about it (loss-mismatch), the spec is not refused.
    const binaryUnit = data.task === 'classification' && data.outputs === 2 && width === 1;
    if (width !== expected && !binaryUnit) {
      const what = data.task === 'classification' ? `${data.outputs} classes (one-hot targets)` : `a target of width ${data.outputs}`;
      issues.push({ path: `${last}.units`, message: `the dataset has ${what}, so the last layer needs ${expected} units, not ${width}` });
    }
  }
}

/** Parses a spec (any JSON) and reports every schema problem with its field path. */
export function parseSpec(raw: unknown): { spec: Spec; issues: [] } | { spec: null; issues: SpecIssue[] } {
  const parsed = Spec.safeParse(raw);
  if (parsed.success) return { spec: parsed.data, issues: [] };
  return { spec: null, issues: zodIssues(parsed.error) };
}

export function zodIssues(error: z.ZodError): SpecIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
}
