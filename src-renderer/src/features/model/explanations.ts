/**
 * One line for every option the Model screen and the training set-up offer: what it does and
 * when to reach for it. Shown under each field, so a person needs no manual to choose.
 */
import type { Activation, LayerType, Loss, Normalization, Optimizer } from '@contract';

export const LAYER_HELP: Record<LayerType, string> = {
  input: 'Declares the sample shape; optional, the dataset gives it. Only first.',
  dense: 'Every output unit sees every input: weights [in, units] and a bias.',
  conv2d: 'Slides small filters over an image: few weights, same detector everywhere.',
  maxPooling2d: 'Keeps the largest value of each window: halves height and width, no weights.',
  averagePooling2d: 'Averages each window: a smoother downsampling, no weights.',
  flatten: 'Lays an [H, W, C] image out as one vector, for dense layers after convolutions.',
  dropout: 'Zeroes a random fraction of inputs while training: less overfitting.',
  batchNormalization: 'Rescales each channel to zero mean, unit variance per batch: steadier, faster training.',
  activation: 'Applies a non-linearity on its own, without weights.',
};

export const LAYER_LABEL: Record<LayerType, string> = {
  input: 'Input',
  dense: 'Dense',
  conv2d: 'Conv 2D',
  maxPooling2d: 'Max pool 2D',
  averagePooling2d: 'Avg pool 2D',
  flatten: 'Flatten',
  dropout: 'Dropout',
  batchNormalization: 'Batch norm',
  activation: 'Activation',
};

export const FIELD_HELP: Record<string, string> = {
  name: 'Shown in charts and findings; leave empty for type_N as Keras names it.',
  shape: 'Per-sample shape without the batch axis: [features] or [height, width, channels].',
  units: 'Output width: the number of neurons in this layer.',
  filters: 'Output channels: the number of different detectors slid over the image.',
  kernelSize: 'Height × width of each filter window; 3×3 is the usual choice.',
  strides: 'Step between windows; 2 halves height and width.',
  poolStrides: 'Step between windows; empty means the pool size (non-overlapping windows).',
  padding: '"same" pads the border so the output keeps the size (÷ stride); "valid" shrinks it.',
  activation: 'The non-linearity applied to the outputs.',
  alpha: 'Slope of leakyRelu below zero (0.01 as in PyTorch); other activations ignore it.',
  useBias: 'Adds a learned offset per unit; off before batch norm, which has its own.',
  kernelInitializer: 'How the weights start: sets the scale of the first forward pass.',
  biasInitializer: 'How the biases start; zeros is the usual choice.',
  rate: 'Fraction of inputs set to 0 at each training step (none at inference).',
  poolSize: 'Height × width of each window.',
  momentum: 'How slowly the moving mean and variance follow the batches (0.99: slowly).',
  epsilon: 'Added to the variance before dividing: keeps it away from 0.',
};

export const ACTIVATION_HELP: Record<Activation, string> = {
  linear: 'No non-linearity: outputs pass through. For regression outputs and logits.',
  relu: 'max(0, x): cheap and non-saturating; units can die if they never fire.',
  leakyRelu: 'x below zero is scaled by alpha instead of zeroed: units cannot die.',
  elu: 'Smooth below zero, tending to −1: mean activations near 0.',
  selu: 'Self-normalising ELU: keeps mean 0 and variance 1 with lecunNormal weights.',
  tanh: 'Squashes to (−1, 1), centred on 0; saturates for large |x|.',
  sigmoid: 'Squashes to (0, 1): a probability for a yes/no output; saturates in hidden layers.',
  softplus: 'log(1 + eˣ): a smooth ReLU, always positive.',
  softmax: 'Turns the outputs into probabilities that sum to 1: for the last layer of a classifier.',
  swish: 'x · sigmoid(x): smooth, non-monotonic, often a little better than ReLU.',
  gelu: 'x · Φ(x): the smooth ReLU of transformers.',
};

export const INITIALIZER_HELP: Record<string, string> = {
  glorotUniform: 'Glorot (Xavier) uniform: variance 2/(fan_in + fan_out), keeps tanh and sigmoid layers in range.',
  glorotNormal: 'Glorot (Xavier) normal: variance 2/(fan_in + fan_out), for tanh, sigmoid and linear layers.',
  heUniform: 'He uniform: variance 2/fan_in, keeps ReLU activations from shrinking layer by layer.',
  heNormal: 'He initialisation: variance 2/fan_in, keeps ReLU activations from shrinking layer by layer.',
  lecunNormal: 'LeCun normal: variance 1/fan_in, the one SELU needs to self-normalise.',
  zeros: 'All zeros: right for biases; for weights every unit stays identical and never differs.',
  ones: 'All ones: for scales; for weights every unit stays identical.',
  randomNormal: 'Normal with a fixed mean and stddev, whatever the layer width: too small stalls deep nets.',
  randomUniform: 'Uniform in [min, max], whatever the layer width (PyTorch Linear uses ±1/√fan_in).',
};

export const INITIALIZER_PARAM_HELP: Record<string, string> = {
  mean: 'Centre of the normal distribution.',
  stddev: 'Spread of the normal distribution; 0.05 by default.',
  min: 'Lower end of the uniform range.',
  max: 'Upper end of the uniform range.',
};

export const OPTIMIZER_HELP: Record<Optimizer['type'], string> = {
  sgd: 'Plain gradient descent: w −= lr · g. Simple, needs a tuned learning rate.',
  momentum: 'SGD with a running average of the gradients: faster through ravines.',
  adam: 'Per-weight step sizes from running means of g and g²: the robust default.',
  adamax: 'Adam with the infinity norm: steadier with large, sparse gradients.',
  rmsprop: 'Divides by a running RMS of the gradient: good for noisy objectives.',
  adagrad: 'Per-weight steps shrink with the gradients seen so far: for sparse features.',
  adadelta: 'Adagrad without the ever-shrinking step: needs little tuning (lr 1).',
};

export const OPTIMIZER_PARAM_HELP: Record<string, string> = {
  learningRate: 'Step size: too large oscillates or diverges, too small crawls.',
  momentum: 'Fraction of the previous step kept (0.9 is usual).',
  nesterov: 'Looks ahead along the momentum before taking the gradient: a little faster.',
  beta1: 'Decay of the running mean of gradients (0.9).',
  beta2: 'Decay of the running mean of squared gradients (0.999).',
  epsilon: 'Added to the denominator: bounds the step where gradients are tiny.',
  decay: 'Decay of the running mean of squared gradients (0.9).',
  initialAccumulatorValue: 'Starting sum of squared gradients: bounds the first steps.',
  rho: 'Decay of the running averages (0.95).',
};

export const LOSS_HELP: Record<Loss['type'], string> = {
  mse: 'Mean squared error: for regression targets.',
  mae: 'Mean absolute error: regression that shrugs off outliers.',
  binaryCrossentropy: 'For two classes with one sigmoid (or logit) output.',
  categoricalCrossentropy: 'For one-hot classes with a softmax (or logits) output.',
  sparseCategoricalCrossentropy: 'For class indices with a softmax (or logits) output: the classifier default.',
};

export const NORMALIZATION_HELP: Record<Normalization, string> = {
  none: 'Inputs as the dataset gives them.',
  divide255: 'Pixels 0–255 become 0–1.',
  standardize: 'Subtract the mean and divide by the standard deviation of the training data.',
};

export const TRAINING_HELP: Record<string, string> = {
  fromLogits: 'The loss applies softmax/sigmoid itself: leave the last layer linear. Numerically safest.',
  batchSize: 'Samples per step: larger is smoother and faster per sample, smaller generalises a little better.',
  epochs: 'Passes over the training data.',
  validationSplit: 'Fraction held out to measure generalisation; 0 for none.',
  seed: 'Seeds weights, shuffling and dropout: the same seed trains the same run.',
  repeat: 'Trains this many runs with seeds seed, seed+1, …: how often does it succeed?',
  probeEvery: 'Steps between looks inside the network (activations per unit).',
  probeSize: 'Samples in the probe batch.',
  snapshotEvery: 'Steps between weight snapshots on disk (0: only at the end).',
  onNonFinite: 'What to do when a NaN or Inf appears: stop there to look, or continue.',
  clipNorm: 'Scales the gradient down when its global norm exceeds this; empty for no clipping.',
  shuffle: 'Reshuffle the training samples every epoch.',
  normalization: 'How inputs are scaled before the first layer.',
  backend: 'Where the maths runs; changing it restarts the engine.',
};
