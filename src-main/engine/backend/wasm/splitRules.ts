/**
 * Which wasm kernels split their batch across threads (batchSplit.ts), and how: the
 * convolution (plain and fused with bias and activation) and its two gradients, and the pooling
 * gradients. Each rule gives a part's output
 * shape and attributes, and the call's work, which batchSplit weighs against the bytes a split
 * copies.
 */
import { nhwcConvInfo, type ConvAttrs, type Info, type TF } from './kernelOps';
import type { SplitRule } from './batchSplit';

/**
 * Convolutions split when they do at least this many multiply-adds per element copied. Measured
 * with the split-kernels bench (2 threads): MNIST's first conv layer (one input channel: 17 per
 * element) runs 0.8x split, the second (192 per element) 1.5-2.5x.
 */
const CONV_WORK_PER_COPIED = 48;

const withBatch = (shape: readonly number[], n: number): number[] => [n, ...shape.slice(1)];
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The rules, for the kernels registered on `tf` (only NHWC convolutions split). */
export function splitRules(tf: TF): Record<string, SplitRule> {
  const convOut = (x: Info, filter: readonly number[], attrs: ConvAttrs, n: number): number[] =>
    nhwcConvInfo(tf, withBatch(x.shape, n), [...filter], attrs).outShape;
  const nhwc = (attrs: Record<string, unknown>): boolean => (attrs as ConvAttrs).dataFormat !== 'NCHW';
  /** The forward convolution, plain or fused: x split, the filter (and bias) whole. */
  const forward: SplitRule = {
    split: ['x'],
    combine: 'concat',
    minWorkPerCopied: CONV_WORK_PER_COPIED,
    outShape: (inputs, attrs, n) => convOut(inputs['x']!, inputs['filter']!.shape, attrs as ConvAttrs, n),
    work: (inputs, attrs) => {
      if (!nhwc(attrs)) return 0;
      const f = inputs['filter']!.shape;
      return size(convOut(inputs['x']!, f, attrs as ConvAttrs, inputs['x']!.shape[0]!)) * f[0]! * f[1]! * f[2]!;
    },
  };
  return {
    Conv2D: forward,
    // Inference (probes, validation, inspection): conv2d with bias and activation in one kernel.
    FusedConv2D: forward,
    Conv2DBackpropInput: {
      split: ['dy'],
      combine: 'concat',
      minWorkPerCopied: CONV_WORK_PER_COPIED,
      outShape: (_inputs, attrs, n) => withBatch((attrs as { inputShape: number[] }).inputShape, n),
      partAttrs: (attrs, n) => ({ ...attrs, inputShape: withBatch((attrs as { inputShape: number[] }).inputShape, n) }),
      work: (inputs, attrs) => {
        if (!nhwc(attrs)) return 0;
        const f = inputs['filter']!.shape;
        return size(inputs['dy']!.shape) * f[0]! * f[1]! * f[2]!;
      },
    },
    Conv2DBackpropFilter: {
      split: ['x', 'dy'],
      combine: 'sum',
      minWorkPerCopied: CONV_WORK_PER_COPIED,
      outShape: (_inputs, attrs) => (attrs as { filterShape: number[] }).filterShape,
      work: (inputs, attrs) => {
        if (!nhwc(attrs)) return 0;
        const f = (attrs as { filterShape: number[] }).filterShape;
        return size(inputs['dy']!.shape) * f[0]! * f[1]! * f[2]!;
      },
    },
    MaxPoolGrad: {
      split: ['dy', 'input', 'output'],
      combine: 'concat',
      outShape: (inputs, _attrs, n) => withBatch(inputs['input']!.shape, n),
      work: (inputs) => size(inputs['input']!.shape) * 4,
    },
    AvgPoolGrad: {
      split: ['dy', 'input'],
      combine: 'concat',
      outShape: (inputs, _attrs, n) => withBatch(inputs['input']!.shape, n),
      work: (inputs) => size(inputs['input']!.shape) * 4,
    },
  };
}
