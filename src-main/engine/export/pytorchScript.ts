/**
 * A spec as a standalone PyTorch script (train.py): the same network, initialised from a port of
 * Trainbench's own seeded generators, the same optimizer settings, loss, batch order, validation
 * rows and epochs. Pure text generation: no tfjs, no files. What PyTorch cannot do the way
 * Trainbench does is refused by name ({@link ExportRefused}), never silently changed.
 *
 * The Python half is in pytorchRuntime.ts (the parts every script shares: the ports of mulberry32,
 * alea and tfjs's initialisers, safetensors, the training loop); this file writes the parts that
 * depend on the spec (constants, the network, the loss, the optimizer).
 */
import type { Activation, Initializer, Layer, Loss, Optimizer, Spec } from '@contract/spec';
import type { LayerShape, ShapeReport } from '@contract/specShapes';
import { PYTORCH_RUNTIME } from './pytorchRuntime';

/** A spec that cannot be carried to PyTorch without changing what it trains; `what` names the part. */
export class ExportRefused extends Error {
  constructor(
    readonly what: string,
    message: string,
  ) {
    super(`${what}: ${message}`);
  }
}

export interface ScriptData {
  task: 'classification' | 'regression';
  /** Classes (classification) or target width (regression). */
  outputs: number;
  inputShape: number[];
}

export interface ScriptOrigin {
  /** Where the spec came from, in words (a preset, a file, a run's folder). */
  source: string;
  /** Where data.npz came from, in words. */
  data: string;
  trainbenchVersion: string;
}

/**
 * Why each optimizer PyTorch has under another convention is refused (each checked against
 * tfjs-core 4.22's source and torch.optim's): the update rules differ, not only a default.
 */
const OPTIMIZER_REFUSALS: Partial<Record<Optimizer['type'], string>> = {
  rmsprop: "tfjs divides by sqrt(meanSquare + epsilon) and torch.optim.RMSprop by sqrt(meanSquare) + epsilon: the steps differ wherever the mean square is near epsilon; use adam or momentum, or train it in Trainbench",
  adamax: 'tfjs divides by max(beta2·u, |g|) + epsilon and torch.optim.Adamax by max(beta2·u, |g| + epsilon): the infinity norms differ; use adam, or train it in Trainbench',
  adagrad: 'tfjs divides by sqrt(accumulator + 1e-7) and torch.optim.Adagrad by sqrt(accumulator) + eps: the steps differ early on, when the accumulator is small; use adam, or train it in Trainbench',
  adadelta: "tfjs scales each step by the accumulated squared gradient before this step's gradient is added (tfjs-core's adadelta_optimizer.js), torch.optim.Adadelta by the one after: use adam, or train it in Trainbench",
};

/** Layer names the generated nn.Module cannot take as attributes (its own members, Python's keywords). */
const RESERVED = new Set([
  'training', 'forward', 'train', 'eval', 'parameters', 'buffers', 'modules', 'children', 'apply', 'cuda', 'cpu', 'to', 'type', 'float', 'double', 'half',
  'state_dict', 'load_state_dict', 'zero_grad', 'register_buffer', 'register_parameter', 'add_module', 'named_parameters', 'named_buffers', 'named_modules',
  'initialise', 'load_trainbench', 'trainbench_tensors', 'dump_patches', 'share_memory', 'requires_grad_', 'extra_repr', 'get_parameter',
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for',
  'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);
const tuple = (values: number[]): string => (values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`);
/** A number as Python reads it back to the same double. */
const num = (value: number): string => (Number.isInteger(value) ? `${value}` : String(value));
/** A value as a Python literal (JSON's, with Python's None/True/False). */
function py(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return num(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`;
}

function attribute(name: string): string {
  return RESERVED.has(name) ? `layer_${name}` : name;
}

/** The Python expression applying `activation` to `x` (channels on dim 1 in torch's layout, as softmax needs). */
function activationCall(activation: Activation, alpha: number, x: string, channelDim: number): string {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return `F.relu(${x})`;
    case 'leakyRelu':
      return `F.leaky_relu(${x}, ${num(alpha)})`;
    case 'elu':
      return `F.elu(${x})`;
    case 'selu':
      return `F.selu(${x})`;
    case 'tanh':
      return `torch.tanh(${x})`;
    case 'sigmoid':
      return `torch.sigmoid(${x})`;
    case 'softplus':
      return `F.softplus(${x})`;
    case 'softmax':
      return `torch.softmax(${x}, dim=${channelDim})`;
    case 'swish':
      return `F.silu(${x})`;
    case 'gelu':
      // Trainbench's gelu is the exact x·Φ(x), torch's default.
      return `F.gelu(${x})`;
  }
}

/**
 * Where a per-sample shape's channels are in torch's layout: images ([H, W, C] in Trainbench)
 * run as NCHW, so dim 1; vectors [F] are [N, F], dim 1; a [A, B] sample stays [N, A, B], dim -1.
 */
const channelDim = (shape: number[]): number => (shape.length === 2 ? -1 : 1);

interface NetworkCode {
  modules: string[];
  forward: string[];
  initialise: string[];
  load: string[];
  save: string[];
}

/** The initialiser as a plain dict for the runtime's initial_values(). */
function initDict(init: Initializer): Record<string, unknown> {
  return typeof init === 'string' ? { type: init } : { ...init };
}

function networkCode(spec: Spec, report: ShapeReport): NetworkCode {
  const code: NetworkCode = { modules: [], forward: [], initialise: [], load: [], save: [] };
  const first = report.layers[0];
  if (first && first.inputShape.length === 3) code.forward.push('x = x.permute(0, 3, 1, 2)  # NHWC, as data.npz holds images, to NCHW');
  for (const shape of report.layers) {
    const layer = spec.model.layers[shape.index]!;
    layerCode(layer, shape, code);
  }
  code.forward.push('return x');
  return code;
}

function layerCode(layer: Layer, shape: LayerShape, code: NetworkCode): void {
  const name = shape.name;
  const self = `self.${attribute(name)}`;
  const key = (role: string): string => JSON.stringify(`${name}/${role}`);
  const dim = channelDim(shape.outputShape);
  switch (layer.type) {
    case 'input':
      return;
    case 'dense':
    case 'conv2d': {
      const inputs = shape.inputShape[shape.inputShape.length - 1]!;
      const outputs = layer.type === 'dense' ? layer.units : layer.filters;
      const kernelShape = layer.type === 'dense' ? [inputs, outputs] : [...pair(layer.kernelSize), inputs, outputs];
      let call: string;
      if (layer.type === 'dense') {
        code.modules.push(`${self} = nn.Linear(${inputs}, ${outputs}, bias=${py(layer.useBias)})`);
        call = `${self}(x)`;
        code.load.push(`${self}.weight.copy_(from_dense_kernel(tensors[${key('kernel')}]))`);
        code.save.push(`out[${key('kernel')}] = to_dense_kernel(${self}.weight)`);
      } else {
        const kernel = pair(layer.kernelSize);
        const strides = pair(layer.strides);
        code.modules.push(`${self} = nn.Conv2d(${inputs}, ${outputs}, kernel_size=${tuple(kernel)}, stride=${tuple(strides)}, bias=${py(layer.useBias)})`);
        call = layer.padding === 'same' ? `${self}(tf_same_padding(x, ${tuple(kernel)}, ${tuple(strides)}))` : `${self}(x)`;
        code.load.push(`${self}.weight.copy_(from_conv_kernel(tensors[${key('kernel')}]))`);
        code.save.push(`out[${key('kernel')}] = to_conv_kernel(${self}.weight)`);
      }
      code.initialise.push(`${key('kernel')}: initial_values(${py(initDict(layer.kernelInitializer))}, ${tuple(kernelShape)}, variable_seed(seed, ${shape.index}, 0)),`);
      if (layer.useBias) {
        code.initialise.push(`${key('bias')}: initial_values(${py(initDict(layer.biasInitializer))}, (${outputs},), variable_seed(seed, ${shape.index}, 1)),`);
        code.load.push(`${self}.bias.copy_(torch.from_numpy(tensors[${key('bias')}]))`);
        code.save.push(`out[${key('bias')}] = ${self}.bias.detach().cpu().numpy()`);
      }
      code.forward.push(`x = ${activationCall(layer.activation, layer.alpha, call, dim)}  # ${name}`);
      return;
    }
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const pool = tuple(pair(layer.poolSize));
      const strides = tuple(pair(layer.strides ?? layer.poolSize));
      if (layer.type === 'maxPooling2d') {
        const input = layer.padding === 'same' ? `tf_same_padding(x, ${pool}, ${strides}, value=-math.inf)` : 'x';
        code.forward.push(`x = F.max_pool2d(${input}, ${pool}, ${strides})  # ${name}`);
      } else if (layer.padding === 'same') {
        code.forward.push(`x = tf_same_avg_pool2d(x, ${pool}, ${strides})  # ${name}`);
      } else {
        code.forward.push(`x = F.avg_pool2d(x, ${pool}, ${strides})  # ${name}`);
      }
      return;
    }
    case 'flatten':
      if (shape.inputShape.length === 3) code.forward.push(`x = x.permute(0, 2, 3, 1).flatten(1)  # ${name}: back to NHWC first, so that the next dense kernel's rows line up with Trainbench's`);
      else code.forward.push(`x = x.flatten(1)  # ${name}`);
      return;
    case 'dropout':
      if (layer.rate > 0) code.forward.push(`x = F.dropout(x, ${num(layer.rate)}, self.training)  # ${name}: torch draws the mask`);
      return;
    case 'batchNormalization': {
      const channels = shape.inputShape[shape.inputShape.length - 1]!;
      code.modules.push(`${self} = BatchNorm(${channels}, momentum=${num(layer.momentum)}, epsilon=${num(layer.epsilon)}, channel_dim=${channelDim(shape.inputShape)})`);
      code.forward.push(`x = ${self}(x)  # ${name}`);
      code.initialise.push(`${key('gamma')}: np.ones(${channels}, np.float32),`, `${key('beta')}: np.zeros(${channels}, np.float32),`);
      code.initialise.push(`${key('movingMean')}: np.zeros(${channels}, np.float32),`, `${key('movingVariance')}: np.ones(${channels}, np.float32),`);
      code.load.push(
        `${self}.weight.copy_(torch.from_numpy(tensors[${key('gamma')}]))`,
        `${self}.bias.copy_(torch.from_numpy(tensors[${key('beta')}]))`,
        `${self}.moving_mean.copy_(torch.from_numpy(tensors[${key('movingMean')}]))`,
        `${self}.moving_variance.copy_(torch.from_numpy(tensors[${key('movingVariance')}]))`,
      );
      code.save.push(
        `out[${key('gamma')}] = ${self}.weight.detach().cpu().numpy()`,
        `out[${key('beta')}] = ${self}.bias.detach().cpu().numpy()`,
        `out[${key('movingMean')}] = ${self}.moving_mean.cpu().numpy()`,
        `out[${key('movingVariance')}] = ${self}.moving_variance.cpu().numpy()`,
      );
      return;
    }
    case 'activation':
      code.forward.push(`x = ${activationCall(layer.activation, layer.alpha, 'x', dim)}  # ${name}`);
      return;
  }
}

/** The loss as Trainbench's engine/training/losses.ts computes it, only the branch the spec uses. */
function lossCode(loss: Loss, data: ScriptData): string[] {
  const lines = ['def loss_of(prediction, y):', `    """The spec's loss (${loss.type}${'fromLogits' in loss && loss.fromLogits ? ', from logits' : ''}), a mean over the batch, as Trainbench computes it."""`];
  // Class indices from logits: torch's own cross-entropy is the same sum, without the one-hot.
  const indexCrossEntropy = loss.type === 'sparseCategoricalCrossentropy' && loss.fromLogits && data.task === 'classification';
  if (!indexCrossEntropy) lines.push('    t = dense_targets(prediction, y)');
  switch (loss.type) {
    case 'mse':
      lines.push('    return torch.mean((prediction - t) ** 2)');
      break;
    case 'mae':
      lines.push('    return torch.mean(torch.abs(prediction - t))');
      break;
    case 'binaryCrossentropy':
      if (loss.fromLogits) lines.push('    # max(z, 0) − z·t + log(1 + e^−|z|): finite for any logit.', '    z = prediction', '    return torch.mean(F.relu(z) - z * t + torch.log1p(torch.exp(-torch.abs(z))))');
      else lines.push('    p = torch.clamp(prediction, EPSILON, 1 - EPSILON)', '    return -torch.mean(t * torch.log(p) + (1 - t) * torch.log(1 - p))');
      break;
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy':
      if (indexCrossEntropy) lines.push('    return F.cross_entropy(prediction, y)');
      else if (loss.fromLogits) lines.push('    return -torch.mean(torch.sum(t * torch.log_softmax(prediction, dim=-1), dim=-1))');
      else lines.push('    return -torch.mean(torch.sum(t * torch.log(torch.clamp(prediction, EPSILON, 1 - EPSILON)), dim=-1))');
      break;
  }
  if (data.task === 'regression') lines.push('', '', 'def accuracy_of(prediction, y):', '    return None  # regression: no accuracy');
  else {
    const threshold = loss.type === 'binaryCrossentropy' && loss.fromLogits ? 0 : 0.5;
    lines.push(
      '',
      '',
      'def accuracy_of(prediction, y):',
      '    """The share of samples whose predicted class is their label."""',
      '    if prediction.shape[1] == 1:',
      `        predicted = (prediction.reshape(-1) > ${num(threshold)}).long()`,
      '    else:',
      '        predicted = prediction.argmax(dim=-1)',
      '    return (predicted == y).float().mean()',
    );
  }
  return lines;
}

function optimizerCode(optimizer: Optimizer): string {
  switch (optimizer.type) {
    case 'sgd':
      return `torch.optim.SGD(parameters, lr=${num(optimizer.learningRate)})`;
    case 'momentum':
      // tfjs: accumulation = momentum·accumulation + g; torch's SGD with dampening 0 is the same rule.
      return `torch.optim.SGD(parameters, lr=${num(optimizer.learningRate)}, momentum=${num(optimizer.momentum)}, dampening=0, nesterov=${py(optimizer.nesterov)})`;
    case 'adam':
      // tfjs's epsilon default is 1e-7, torch's 1e-8: the spec's value is given explicitly.
      return `torch.optim.Adam(parameters, lr=${num(optimizer.learningRate)}, betas=(${num(optimizer.beta1)}, ${num(optimizer.beta2)}), eps=${num(optimizer.epsilon)})`;
    default:
      throw new ExportRefused(`training.optimizer "${optimizer.type}"`, OPTIMIZER_REFUSALS[optimizer.type] ?? 'has no PyTorch equivalent');
  }
}

/** Refuses what the script could only change: returns nothing, throws {@link ExportRefused}. */
export function checkExportable(spec: Spec): void {
  optimizerCode(spec.training.optimizer);
}

/** The spec as a Python expression: pretty JSON in a raw string where that is safe, else one escaped line. */
function specLiteral(spec: Spec): string {
  const pretty = JSON.stringify(spec, null, 1);
  if (!pretty.includes('"""') && !pretty.includes('\\')) return `json.loads(r"""${pretty}""")`;
  return `json.loads(${JSON.stringify(JSON.stringify(spec))})`;
}

const indent = (lines: string[], spaces: number): string => lines.map((l) => (l === '' ? '' : `${' '.repeat(spaces)}${l}`)).join('\n');

/** train.py for `spec`, whose shapes `report` has inferred against `data`. Throws {@link ExportRefused}. */
export function pytorchScript(spec: Spec, report: ShapeReport, data: ScriptData, origin: ScriptOrigin): string {
  checkExportable(spec);
  if (report.issues.length > 0) throw new ExportRefused('spec', report.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const { training, monitor } = spec;
  const net = networkCode(spec, report);
  const name = spec.name ?? 'spec';
  const success = spec.success ? `(${py(spec.success.metric)}, ${py(spec.success.op)}, ${num(spec.success.value)})` : 'None';
  const hasDropout = spec.model.layers.some((l) => l.type === 'dropout' && l.rate > 0);
  const header = `#!/usr/bin/env python3
"""
${name}: a Trainbench spec as a standalone PyTorch script (torch and numpy only).

Exported by Trainbench ${origin.trainbenchVersion} from ${origin.source}.
Data: data.npz beside this file (${origin.data}), the samples after Trainbench's preparation.

    python3 train.py [--seed N] [--epochs N] [--weights weights.npz] [--save-safetensors out.safetensors] [--json]

It trains as Trainbench does: the same network, initialised by ports of Trainbench's seeded
generators (seed N starts from Trainbench's seed-N weights, to float32 rounding), the same
optimizer settings, loss, batch order, validation rows and epochs.${hasDropout ? `
Dropout masks are drawn by torch's generator (torch.manual_seed(seed)), not by Trainbench's.` : ''}
Float sums run in another order here, so a run drifts from Trainbench's over many steps.

Layouts: Trainbench is channels-last (NHWC) and keeps dense kernels as [in, out] and conv
kernels as [kh, kw, in, out]; torch is NCHW with Linear weights [out, in] and Conv2d weights
[out, in, kh, kw]. Weights files (--weights, --save-safetensors) use Trainbench's names
("dense_1/kernel") and layouts, so Trainbench's Inspect screen reads what this script writes.
"""`;
  const constants = `# The spec's training settings (the whole spec is in SPEC below).
SEED = ${training.seed}
EPOCHS = ${training.epochs}
BATCH_SIZE = ${training.batchSize === 'full' ? 'None  # "full": the whole training split in every step' : training.batchSize}
VALIDATION_SPLIT = ${num(training.validationSplit)}
SHUFFLE = ${py(training.shuffle)}
CLIP_NORM = ${training.clipNorm === undefined ? 'None' : num(training.clipNorm)}
STOP_ON_NON_FINITE = ${py(monitor.onNonFinite === 'stop')}
TASK = ${py(data.task)}
OUTPUTS = ${data.outputs}
INPUT_SHAPE = ${tuple(data.inputShape)}
# When a run counts as a success: (metric, comparison, value), or None.
SUCCESS = ${success}
SPEC = ${specLiteral(spec)}`;
  const network = `class Network(nn.Module):
    """The spec's layers in order; attribute names are Trainbench's layer names."""

    def __init__(self):
        super().__init__()
${indent(net.modules.length > 0 ? net.modules : ['pass'], 8)}

    def forward(self, x):
${indent(net.forward, 8)}

    def initialise(self, seed):
        """Trainbench's initial weights for run seed \`seed\` (engine/training/initializers.ts)."""
        self.load_trainbench({
${indent(net.initialise, 12)}
        })

    def load_trainbench(self, tensors):
        """Sets every weight from Trainbench's tensors by name and layout (a snapshot, weights.npz)."""
        with torch.no_grad():
${indent(net.load.length > 0 ? net.load : ['pass'], 12)}

    def trainbench_tensors(self):
        """Every weight by Trainbench's name, in Trainbench's layout, as float32 numpy arrays."""
        out = {}
${indent(net.save, 8)}
        return out`;
  const optimizer = `def make_optimizer(parameters):
    """${training.optimizer.type} with the spec's settings (Trainbench's are tfjs's optimizers)."""
    return ${optimizerCode(training.optimizer)}`;
  return [header, PYTORCH_RUNTIME.imports, constants, PYTORCH_RUNTIME.library, network, lossCode(training.loss, data).join('\n'), optimizer, PYTORCH_RUNTIME.training].join('\n\n\n') + '\n';
}
