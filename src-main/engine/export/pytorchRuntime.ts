/**
 * The Python every exported train.py shares (pytorchScript.ts writes the spec's own parts
 * around it): ports of Trainbench's seeded generators and tfjs's initialisers, TensorFlow's
 * 'same' padding, Keras's batch normalisation, weights files, data loading and the training
 * loop as engine/training/trainer.ts runs it. Kept as Python text so that it reads as Python.
 */

const imports = String.raw`import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# Probabilities are clipped away from 0 and 1 as Keras (and Trainbench) do, so log never sees 0.
EPSILON = 1e-7`;

const library = String.raw`# ---------------------------------------------------------------------------------------------
# Trainbench's random numbers, ported so that seed N gives Trainbench's seed-N start.

M32 = 0xFFFFFFFF


def mulberry32(seed):
    """Trainbench's one PRNG (src-main/contract/random.ts): floats in [0, 1), fixed by the seed.
    Shuffling and the validation split draw from it. JavaScript's 32-bit integer ops are the
    low 32 bits of Python's."""
    state = seed & M32

    def next_value():
        nonlocal state
        state = (state + 0x6D2B79F5) & M32
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & M32
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296.0

    return next_value


def shuffle_in_place(values, random):
    """Fisher-Yates from the end, as Trainbench's shuffleInPlace."""
    for i in range(len(values) - 1, 0, -1):
        j = int(random() * (i + 1))
        values[i], values[j] = values[j], values[i]
    return values


def to_uint32(x):
    """JavaScript's x >>> 0 for a finite number: truncated toward zero, modulo 2^32."""
    return int(x) % 0x100000000


class Alea:
    """seedrandom's alea, the generator tfjs seeds with str(seed) for tf.randomUniform,
    tf.randomNormal and tf.truncatedNormal: Trainbench's initialisers draw from it."""

    def __init__(self, seed):
        n = 0xEFC8249D

        def mash(data):
            nonlocal n
            for ch in str(data):
                n += ord(ch)
                h = 0.02519603282416938 * n
                n = to_uint32(h)
                h -= n
                h *= n
                n = to_uint32(h)
                h -= n
                n += h * 4294967296.0
            return to_uint32(n) * 2.3283064365386963e-10

        self.c = 1
        self.s0 = mash(" ")
        self.s1 = mash(" ")
        self.s2 = mash(" ")
        self.s0 -= mash(seed)
        if self.s0 < 0:
            self.s0 += 1
        self.s1 -= mash(seed)
        if self.s1 < 0:
            self.s1 += 1
        self.s2 -= mash(seed)
        if self.s2 < 0:
            self.s2 += 1

    def __call__(self):
        t = 2091639 * self.s0 + self.c * 2.3283064365386963e-10
        self.s0 = self.s1
        self.s1 = self.s2
        self.c = int(t)  # t | 0, t being positive and below 2^31
        self.s2 = t - self.c
        return self.s2


def random_uniform(shape, low, high, seed):
    """tf.randomUniform(shape, low, high, 'float32', seed): low + (high - low)·u, in C order."""
    rand = Alea(str(seed))
    span = high - low
    values = [low + span * rand() for _ in range(int(np.prod(shape)))]
    return np.array(values, dtype=np.float64).astype(np.float32).reshape(shape)


def random_normal(shape, mean, stddev, seed, truncated):
    """tfjs's MPRandGauss: Marsaglia's polar method, two values a draw. Truncated (tf.truncatedNormal):
    a pair is drawn again until its first value is within 2 stddev of the mean, and its second is
    kept only if it is too."""
    rand = Alea(str(seed))
    lower, upper = mean - stddev * 2, mean + stddev * 2
    count = int(np.prod(shape))
    values = []
    spare = None
    while len(values) < count:
        if spare is not None:
            values.append(spare)
            spare = None
            continue
        while True:
            while True:
                v1 = 2 * rand() - 1
                v2 = 2 * rand() - 1
                s = v1 * v1 + v2 * v2
                if s < 1 and s != 0:
                    break
            mul = math.sqrt(-2.0 * math.log(s) / s)
            x = mean + stddev * v1 * mul
            y = mean + stddev * v2 * mul
            if not truncated or lower <= x <= upper:
                break
        if not truncated or lower <= y <= upper:
            spare = y
        values.append(x)
    return np.array(values, dtype=np.float64).astype(np.float32).reshape(shape)


# tfjs-layers' VarianceScaling initialisers: (scale, fan mode, distribution).
VARIANCE_SCALING = {
    "glorotUniform": (1.0, "fanAvg", "uniform"),
    "glorotNormal": (1.0, "fanAvg", "normal"),
    "heUniform": (2.0, "fanIn", "uniform"),
    "heNormal": (2.0, "fanIn", "normal"),
    "lecunNormal": (1.0, "fanIn", "normal"),
}


def fans(shape):
    """Keras's fans, channels last: dense [in, out]; conv [kh, kw, in, out] with the receptive
    field multiplying both; any other shape sqrt(size) for both."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (3, 4, 5):
        field = int(np.prod(shape[:-2]))
        return shape[-2] * field, shape[-1] * field
    size = math.sqrt(int(np.prod(shape)))
    return size, size


def initial_values(init, shape, seed):
    """A weight as Trainbench initialises it (Trainbench's layout), for one of its initialisers."""
    kind = init["type"]
    if kind == "zeros":
        return np.zeros(shape, np.float32)
    if kind == "ones":
        return np.ones(shape, np.float32)
    if kind == "randomUniform":
        return random_uniform(shape, init.get("min", -0.05), init.get("max", 0.05), seed)
    if kind == "randomNormal":
        return random_normal(shape, init.get("mean", 0.0), init.get("stddev", 0.05), seed, truncated=False)
    scale, mode, distribution = VARIANCE_SCALING[kind]
    fan_in, fan_out = fans(shape)
    if mode == "fanIn":
        scale /= max(1, fan_in)
    else:
        scale /= max(1, (fan_in + fan_out) / 2)
    if distribution == "normal":
        # tfjs draws a normal of stddev sqrt(scale) cut at 2 stddev, without Keras 2's 0.8796
        # correction: the weights' spread is 0.88 sqrt(scale). torch's trunc_normal_ would match
        # the distribution, not the values.
        return random_normal(shape, 0.0, math.sqrt(scale), seed, truncated=True)
    limit = math.sqrt(3 * scale)
    return random_uniform(shape, -limit, limit, seed)


def variable_seed(run_seed, layer_index, slot):
    """The seed of one variable of one layer (slot 0 the kernel, 1 the bias) for a run's seed."""
    product = ((run_seed + 1) * 7919) & M32
    if product >= 0x80000000:  # Math.imul's result is signed
        product -= 0x100000000
    return (product + layer_index * 104729 + slot * 1299709) % 0x100000000


# ---------------------------------------------------------------------------------------------
# Layers whose Trainbench behaviour torch's own do not have.


def tf_same_padding(x, kernel, strides, value=0.0):
    """Pads an NCHW tensor as TensorFlow's 'same' does: ceil(size / stride) outputs, the odd
    row or column of padding at the bottom or right."""
    pads = []
    for size, k, s in reversed(list(zip(x.shape[2:], kernel, strides))):  # F.pad: last axis first
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


def tf_same_avg_pool2d(x, pool, strides):
    """TensorFlow's average pooling with 'same' padding: padded positions are left out of each mean."""
    sums = F.avg_pool2d(tf_same_padding(x, pool, strides), pool, strides)
    counts = F.avg_pool2d(tf_same_padding(torch.ones_like(x[:1, :1]), pool, strides), pool, strides)
    return sums / counts


class BatchNorm(nn.Module):
    """Keras's batch normalisation as Trainbench applies it: in training, the batch's mean and
    biased variance normalise, and moving = momentum·moving + (1 - momentum)·batch. torch's
    BatchNorm counts momentum the other way round and moves an unbiased variance."""

    def __init__(self, channels, momentum, epsilon, channel_dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))  # Trainbench's gamma
        self.bias = nn.Parameter(torch.zeros(channels))  # beta
        self.register_buffer("moving_mean", torch.zeros(channels))
        self.register_buffer("moving_variance", torch.ones(channels))
        self.momentum = momentum
        self.epsilon = epsilon
        self.channel_dim = channel_dim

    def forward(self, x):
        dim = self.channel_dim % x.dim()
        axes = [a for a in range(x.dim()) if a != dim]
        shape = [1] * x.dim()
        shape[dim] = -1
        if self.training:
            mean = x.mean(dim=axes)
            variance = x.var(dim=axes, unbiased=False)
            with torch.no_grad():
                self.moving_mean.mul_(self.momentum).add_(mean.detach() * (1 - self.momentum))
                self.moving_variance.mul_(self.momentum).add_(variance.detach() * (1 - self.momentum))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        scale = torch.rsqrt(variance.view(shape) + self.epsilon) * self.weight.view(shape)
        return (x - mean.view(shape)) * scale + self.bias.view(shape)


# Trainbench's layouts <-> torch's: dense kernels [in, out] <-> [out, in]; conv kernels
# [kh, kw, in, out] <-> [out, in, kh, kw].
def from_dense_kernel(kernel):
    return torch.from_numpy(np.ascontiguousarray(kernel.T))


def to_dense_kernel(weight):
    return np.ascontiguousarray(weight.detach().cpu().numpy().T)


def from_conv_kernel(kernel):
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


def to_conv_kernel(weight):
    return np.ascontiguousarray(weight.detach().cpu().numpy().transpose(2, 3, 1, 0))


# ---------------------------------------------------------------------------------------------
# Weights files: .npz (as Trainbench exports them) and safetensors (Trainbench's snapshots).


def read_safetensors(path):
    """A safetensors file's F32 tensors by name (probe activations, "…/activation", left out)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__" or name.endswith("/activation"):
            continue
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {entry['dtype']}; only F32 is read")
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(entry["shape"]).astype(np.float32)
    return tensors


def save_safetensors(path, tensors, metadata):
    """Writes float32 tensors as safetensors: an 8-byte little-endian header length, the JSON
    header (padded with spaces to 8 bytes), then the tensors' bytes in order."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, values in tensors.items():
        blob = np.ascontiguousarray(values, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(values.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(temporary, path)


def read_weights(path):
    """Trainbench-named weights from weights.npz or a .safetensors snapshot."""
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    with np.load(path) as archive:
        return {name: archive[name].astype(np.float32) for name in archive.files}`;

const training = String.raw`# ---------------------------------------------------------------------------------------------
# Data and training, as engine/training/trainingData.ts and trainer.ts do them.


def dense_targets(prediction, y):
    """What a loss that needs dense targets compares with: regression targets as they are; class
    indices as one column (one output) or one-hot (several)."""
    if TASK == "regression":
        return y
    if prediction.shape[1] == 1:
        return y.float().reshape(-1, 1)
    return F.one_hot(y, prediction.shape[1]).float()


def load_data(path):
    """data.npz: x_train, y_train (and x_test, y_test where the dataset has its own test split)."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    y_type = torch.long if TASK == "classification" else torch.float32
    data = {"train": (torch.from_numpy(arrays["x_train"]), torch.from_numpy(arrays["y_train"]).to(y_type))}
    if "x_test" in arrays:
        data["test"] = (torch.from_numpy(arrays["x_test"]), torch.from_numpy(arrays["y_test"]).to(y_type))
    return data


def split_data(data, fraction, seed):
    """Trainbench's split: the last fraction of a seeded permutation validates; with none, the
    dataset's own test split does (or nothing)."""
    x, y = data["train"]
    if fraction <= 0:
        return (x, y), data.get("test")
    order = shuffle_in_place(list(range(len(x))), mulberry32(seed ^ 0x5EED))
    held = max(1, math.floor(len(x) * fraction + 0.5))  # Math.round
    train = torch.tensor(order[: len(order) - held])
    validation = torch.tensor(order[len(order) - held :])
    return (x[train], y[train]), (x[validation], y[validation])


def evaluate(net, x, y, batch_size):
    """Loss and accuracy over a whole split in inference mode, in batches of max(batch, 256)."""
    net.eval()
    loss_sum, accuracy_sum = 0.0, 0.0
    step = max(batch_size, 256)
    with torch.no_grad():
        for start in range(0, len(x), step):
            xb, yb = x[start : start + step], y[start : start + step]
            prediction = net(xb)
            loss_sum += float(loss_of(prediction, yb)) * len(xb)
            accuracy = accuracy_of(prediction, yb)
            if accuracy is not None:
                accuracy_sum += float(accuracy) * len(xb)
    loss = loss_sum / len(x)
    return (loss if math.isfinite(loss) else None), (accuracy_sum / len(x) if TASK == "classification" else None)


def judge(final):
    """Whether a run meets SUCCESS; None when the spec has no success criterion."""
    if SUCCESS is None:
        return None
    metric, op, value = SUCCESS
    got = final[metric]
    if got is None:
        return False
    return {"<": got < value, "<=": got <= value, ">": got > value, ">=": got >= value}[op]


def gradient_norm(parameters):
    return math.sqrt(sum(float(torch.sum(p.grad * p.grad)) for p in parameters if p.grad is not None))


def train(net, data, seed, epochs, log):
    """Trains as Trainbench's trainer does: each epoch shuffles the training rows with
    mulberry32(seed), steps through them in batches (the loss and accuracy of a step are those of
    its forward pass, before the update), then evaluates the validation split."""
    (x_train, y_train), validation = split_data(data, VALIDATION_SPLIT, seed)
    count = len(x_train)
    batch_size = count if BATCH_SIZE is None else min(BATCH_SIZE, count)
    parameters = [p for p in net.parameters() if p.requires_grad]
    optimizer = make_optimizer(parameters)
    random = mulberry32(seed)
    order = list(range(count))
    print_every = max(1, math.ceil(epochs / 25))
    steps, last, stopped = 0, None, None
    started = time.time()
    for epoch in range(epochs):
        # One batch of every row: its order only changes the order of a sum, so it is not drawn.
        if SHUFFLE and batch_size < count:
            shuffle_in_place(order, random)
        rows = torch.tensor(order)
        net.train()
        loss_sum, accuracy_sum, seen = 0.0, 0.0, 0
        for start in range(0, count, batch_size):
            batch = rows[start : start + batch_size]
            xb, yb = x_train[batch], y_train[batch]
            prediction = net(xb)
            loss = loss_of(prediction, yb)
            accuracy = accuracy_of(prediction, yb)
            optimizer.zero_grad()
            loss.backward()
            norm = gradient_norm(parameters)
            if STOP_ON_NON_FINITE and not (math.isfinite(float(loss)) and math.isfinite(norm)):
                stopped = f"a non-finite loss or gradient at step {steps} (epoch {epoch + 1}); the weights are those before it"
                break
            if CLIP_NORM is not None:
                scale = min(1.0, CLIP_NORM / (norm + 1e-12))
                for p in parameters:
                    p.grad.mul_(scale)
            optimizer.step()
            steps += 1
            loss_sum += float(loss) * len(batch)
            if accuracy is not None:
                accuracy_sum += float(accuracy) * len(batch)
            seen += len(batch)
        if stopped or seen == 0:
            # As Trainbench: the epoch cut short by a non-finite value has no summary.
            if stopped:
                log(f"stopped: {stopped}")
            break
        epoch_loss = loss_sum / seen
        val_loss, val_accuracy = evaluate(net, *validation, batch_size) if validation is not None else (None, None)
        last = {
            "epoch": epoch,
            "loss": epoch_loss if math.isfinite(epoch_loss) else None,
            "accuracy": accuracy_sum / seen if TASK == "classification" else None,
            "valLoss": val_loss,
            "valAccuracy": val_accuracy,
        }
        if epoch % print_every == 0 or epoch == epochs - 1:
            log(describe_epoch(last, epochs))
    final = {
        "seed": seed,
        "steps": steps,
        "epochs": last["epoch"] + 1 if last else 0,
        "loss": None if stopped or last is None else last["loss"],
        "accuracy": last["accuracy"] if last else None,
        "valLoss": last["valLoss"] if last else None,
        "valAccuracy": last["valAccuracy"] if last else None,
        "seconds": time.time() - started,
        "stopped": stopped,
    }
    final["success"] = judge(final)
    return final


def describe_epoch(e, epochs):
    text = f"epoch {e['epoch'] + 1}/{epochs} loss {e['loss']:.4f}" if e["loss"] is not None else f"epoch {e['epoch'] + 1}/{epochs} loss NaN"
    if e["accuracy"] is not None:
        text += f" acc {e['accuracy'] * 100:.1f}%"
    if e["valLoss"] is not None:
        text += f" val_loss {e['valLoss']:.4f}"
    if e["valAccuracy"] is not None:
        text += f" val_acc {e['valAccuracy'] * 100:.1f}%"
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED, help="the run's seed, as Trainbench's training.seed (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs to train; 0 evaluates the weights only (default %(default)s)")
    parser.add_argument("--data", default=os.path.join(HERE, "data.npz"), help="the samples (default: data.npz beside this script)")
    parser.add_argument("--weights", help="start from these weights (.npz as Trainbench exports them, or a Trainbench .safetensors snapshot) instead of the seed's")
    parser.add_argument("--save-safetensors", metavar="PATH", help="write the trained weights here, named as Trainbench's snapshots")
    parser.add_argument("--json", action="store_true", help="print one JSON document with the result on stdout (progress goes to stderr)")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    net = Network()
    if args.weights:
        net.load_trainbench(read_weights(args.weights))
    else:
        net.initialise(args.seed)
    data = load_data(args.data)
    out = sys.stderr if args.json else sys.stdout
    final = train(net, data, args.seed, args.epochs, lambda line: print(line, file=out, flush=True))
    if args.epochs == 0:
        (x, y), validation = split_data(data, VALIDATION_SPLIT, args.seed)
        final["loss"], final["accuracy"] = evaluate(net, x, y, len(x) if BATCH_SIZE is None else BATCH_SIZE)
        if validation is not None:
            final["valLoss"], final["valAccuracy"] = evaluate(net, *validation, len(x) if BATCH_SIZE is None else BATCH_SIZE)
        final["success"] = judge(final)
    if args.save_safetensors:
        save_safetensors(args.save_safetensors, net.trainbench_tensors(), {"step": final["steps"], "epoch": max(final["epochs"] - 1, 0), "source": "pytorch train.py", "seed": args.seed})
    if SUCCESS is not None:
        metric, op, value = SUCCESS
        print(f"success: {'yes' if final['success'] else 'no'} with {metric} {op} {value}", file=out)
    if args.json:
        print(json.dumps(final))
    return 0


if __name__ == "__main__":
    sys.exit(main())`;

export const PYTORCH_RUNTIME = { imports, library, training } as const;
