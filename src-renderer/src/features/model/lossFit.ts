/**
 * Whether the loss fits the dataset and the output layer, as the `loss-mismatch` finding
 * defines it, decided before training from the spec alone: MSE on class labels, cross-entropy
 * on outputs that are not probabilities, a softmax output with a binary loss, and the
 * softmax-twice of `fromLogits` over a softmax. Pure: no Vue, no bridge.
 */
import { outputActivation, type DataShape, type Layer, type Loss, type Normalization, type SpecIssue } from '@contract';

/** A change to the spec that resolves a warning: field path → new value, applied as one edit. */
export interface Fix {
  label: string;
  set: Record<string, unknown>;
}

export interface FitWarning {
  /** The field the warning is about, e.g. `training.loss.type`. */
  path: string;
  /** `error`: the engine refuses to train it; `warning`: it trains, badly. */
  severity: 'error' | 'warning';
  message: string;
  fix?: Fix;
}

const CROSS_ENTROPY = ['binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'] as const;
const isCrossEntropy = (loss: Loss): loss is Extract<Loss, { fromLogits: boolean }> => (CROSS_ENTROPY as readonly string[]).includes(loss.type);

/** The index and width of the last layer with units, looking through dropout and activation layers. */
function outputLayer(layers: readonly Layer[]): { index: number; units: number | null } | null {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.type === 'dense') return { index: i, units: layer.units };
    if (layer.type === 'conv2d') return { index: i, units: layer.filters };
    if (layer.type !== 'dropout' && layer.type !== 'activation') return { index: i, units: null };
  }
  return null;
}

/** The path of the field that sets the output activation: the trailing activation layer's, or the last dense layer's. */
function activationPath(layers: readonly Layer[]): string | null {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.type === 'activation' || layer.type === 'dense' || layer.type === 'conv2d') return `model.layers.${i}.activation`;
    if (layer.type !== 'dropout') return null;
  }
  return null;
}

/**
 * Warnings about the loss for this output layer and dataset. `data` is what the dataset gives
 * (null when unknown: then only the output-activation checks run). `checkIssues` are the
 * engine's spec.check issues; those about the loss come first and replace this function's
 * own verdict on the same field.
 */
export function lossFit(loss: Loss, layers: readonly Layer[], data: DataShape | null, checkIssues: readonly SpecIssue[] = []): FitWarning[] {
  const own: FitWarning[] = [];
  const activation = outputActivation([...layers]);
  const output = outputLayer(layers);
  const actPath = activationPath(layers);
  const width = output?.units ?? null;

  if (data?.task === 'classification' && (loss.type === 'mse' || loss.type === 'mae')) {
    const binary = data.outputs === 2 && width === 1;
    own.push({
      path: 'training.loss.type',
      severity: 'warning',
      message:
        `${loss.type} on class labels: the outputs are compared with one-hot targets, so a wrong class costs at most 1 and the gradient ` +
        `fades as outputs saturate (situation 3). Use ${binary ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy'}.`,
      fix: binary ? crossEntropyFix('binaryCrossentropy', 'sigmoid', activation, actPath) : crossEntropyFix('sparseCategoricalCrossentropy', 'softmax', activation, actPath),
    });
  }

  if (isCrossEntropy(loss) && data?.task === 'regression') {
    own.push({
      path: 'training.loss.type',
      severity: 'error',
      message: `${loss.type} needs class labels, but the dataset's target is a regression value: use mse or mae.`,
      fix: { label: 'Use mse', set: { 'training.loss': { type: 'mse' } } },
    });
  } else if (loss.type === 'binaryCrossentropy') {
    if (activation === 'softmax') {
      const multi = width !== null && width > 1;
      own.push({
        path: 'training.loss.type',
        severity: 'warning',
        message: multi
          ? `a softmax output with binaryCrossentropy treats each of the ${width} units as its own yes/no while softmax ties them together: use sparseCategoricalCrossentropy.`
          : 'softmax over one unit always outputs 1, so binaryCrossentropy has nothing to learn from: use sigmoid on the output.',
        fix: multi
          ? { label: 'Use sparse cross-entropy', set: { 'training.loss': { type: 'sparseCategoricalCrossentropy', fromLogits: false } } }
          : actPath
            ? { label: 'Use sigmoid output', set: { [actPath]: 'sigmoid' } }
            : undefined,
      });
    } else if (activation === 'sigmoid' && loss.fromLogits) {
      own.push(twice('sigmoid'));
    } else if (activation !== 'sigmoid' && !loss.fromLogits) {
      own.push(notProbabilities(loss.type, activation, 'sigmoid', actPath));
    }
  } else if (loss.type === 'categoricalCrossentropy' || loss.type === 'sparseCategoricalCrossentropy') {
    if (activation === 'softmax' && loss.fromLogits) {
      own.push(twice('softmax'));
    } else if (activation === 'sigmoid' && loss.fromLogits) {
      own.push({
        path: 'training.loss.fromLogits',
        severity: 'warning',
        message: 'fromLogits applies softmax to sigmoid outputs: squeezed into (0, 1) first, the classes can hardly be told apart. Make the output linear.',
        ...(actPath ? { fix: { label: 'Make the output linear', set: { [actPath]: 'linear' } } } : {}),
      });
    } else if (activation === 'sigmoid' && !loss.fromLogits) {
      own.push({
        path: 'training.loss.fromLogits',
        severity: 'warning',
        message: `sigmoid outputs do not sum to 1, so ${loss.type} rewards the right class without pushing the others down: end with softmax, or with a linear layer and fromLogits.`,
        ...(actPath ? { fix: { label: 'Use softmax output', set: { [actPath]: 'softmax' } } } : {}),
      });
    } else if (activation !== 'softmax' && !loss.fromLogits) {
      own.push(notProbabilities(loss.type, activation, 'softmax', actPath));
    }
  }

  const fromCheck: FitWarning[] = checkIssues
    .filter((issue) => issue.path.startsWith('training.loss'))
    .map((issue) => ({ path: issue.path, severity: 'error' as const, message: issue.message }));
  const covered = new Set(fromCheck.map((w) => w.path));
  // The engine's words win; this function's fix for the same field still applies.
  const withFix = fromCheck.map((w) => {
    const fix = own.find((o) => o.path === w.path)?.fix;
    return fix ? { ...w, fix } : w;
  });
  return [...withFix, ...own.filter((w) => !covered.has(w.path))];
}

/**
 * Switches to a cross-entropy loss: over the matching probability output as it is, otherwise
 * from logits with the output made linear (a sigmoid under softmax would squeeze it twice).
 */
function crossEntropyFix(type: 'binaryCrossentropy' | 'sparseCategoricalCrossentropy', probability: 'sigmoid' | 'softmax', activation: string, actPath: string | null): Fix {
  const name = type === 'binaryCrossentropy' ? 'binary cross-entropy' : 'sparse cross-entropy';
  if (activation === probability) return { label: `Use ${name}`, set: { 'training.loss': { type, fromLogits: false } } };
  const set: Record<string, unknown> = { 'training.loss': { type, fromLogits: true } };
  if (activation !== 'linear' && actPath) set[actPath] = 'linear';
  return { label: `Use ${name} from logits`, set };
}

function twice(activation: 'softmax' | 'sigmoid'): FitWarning {
  return {
    path: 'training.loss.fromLogits',
    severity: 'warning',
    message: `fromLogits applies ${activation} inside the loss, and the output layer already applies it: ${activation} twice squeezes the outputs and weakens the gradient. Turn fromLogits off, or make the output linear.`,
    fix: { label: 'Turn fromLogits off', set: { 'training.loss.fromLogits': false } },
  };
}

function notProbabilities(loss: string, activation: string, wanted: 'softmax' | 'sigmoid', actPath: string | null): FitWarning {
  return {
    path: 'training.loss.fromLogits',
    severity: 'warning',
    message:
      `${loss} expects probabilities, but the output is ${activation}: values ≤ 0 are clipped to 1e-7 and their gradient is lost. ` +
      `Set fromLogits (the loss applies ${wanted} itself)${actPath ? `, or end with ${wanted}` : ''}.`,
    fix: { label: 'Set fromLogits', set: { 'training.loss.fromLogits': true } },
  };
}

/**
 * Warnings about the inputs: pixels of 0–255 fed as they are make the first layer's
 * pre-activations hundreds of times too large (situation 3's NaN).
 */
export function inputFit(normalization: Normalization, data: DataShape | null, datasetName?: string): FitWarning[] {
  const pixels = datasetName === 'mnist' || data?.inputShape.length === 3;
  if (!pixels || normalization !== 'none') return [];
  return [
    {
      path: 'normalization',
      severity: 'warning',
      message: 'the pixels go in as 0–255: pre-activations come out hundreds of times too large and saturate or overflow. Divide by 255.',
      fix: { label: 'Divide by 255', set: { normalization: 'divide255' } },
    },
  ];
}
