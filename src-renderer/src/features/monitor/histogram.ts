/** Histograms of snapshot tensors: computed once when a snapshot arrives, the tensor then dropped. */

export interface Histogram {
  /** Lower edge of the first bin and upper edge of the last. */
  min: number;
  max: number;
  counts: Uint32Array;
  /** Finite values counted. */
  total: number;
  nonFinite: number;
  /** Values exactly 0: a ReLU layer's output that did not fire. */
  zeros: number;
  mean: number;
  std: number;
}
