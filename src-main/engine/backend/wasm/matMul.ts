/**
 * Matrix-product kernels for the tfjs wasm backend: `BatchMatMul` and `_FusedMatMul` with a
 * transposed operand. Only `a @ b` reaches XNNPACK; `aᵀ @ b` and `a @ bᵀ`, which every dense
 * layer's backward pass uses, run a blocked scalar loop 5-10x slower, whose `_FusedMatMul` also
 * adds the bias wrongly. Also `Identity` and same-dtype `Cast` without a copy.
 */
import { intTable, prod, withOps, type Info, type KernelArgs, type KernelFn, type Ops, type TF, type WasmBackendFull } from './kernelOps';
import { heapOffset, simdKernels, type SimdKernels } from './simd/simdKernels';

const size = prod;

const swapLast = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

/**
 * `BatchMatMul` with a single batch. Plain products with N % 4 == 0 run on the SIMD kernels: aᵀ·b
 * (a dense layer's weight gradient xᵀ·dy) by `simdTransposedA`, a·b (its forward product in
 * training) and a·bᵀ (its input gradient dy·Wᵀ, b transposed first) by `simdProduct`. CPU ms per
 * call against the path below (bench/matmul.ts): the mnist-cnn dense layer's x·W 2.0-2.1 against
 * 3.5-3.6, xᵀ·dy 1.2-1.3 against 1.6-1.9, dy·Wᵀ 1.8-2.6 against 3.3-7.7; the MLP 784-128's x·W
 * 0.63-0.68 against 0.77, xᵀ·dy 0.66-0.93 against 0.81-1.0. Otherwise a transposed operand is transposed explicitly (`Transpose`) and the
 * product taken by the replaced kernel with transposeA = transposeB = false, the only case the
 * wasm backend sends to XNNPACK (the others run a blocked scalar loop ~5-10x slower; every dense
 * layer's backward pass has both). Batched products go to the replaced kernel as they are.
 */
export function untransposedMatMul(tf: TF, fallback: KernelFn) {
  return (args: KernelArgs): Info => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || prod(a.shape.slice(0, -2)) !== 1 || prod(b.shape.slice(0, -2)) !== 1) {
      return fallback(args) as Info;
    }
    // The SIMD kernels compute the plain product: `_FusedMatMul` (a bias, an activation) sends its
    // products here too, to the XNNPACK path that applies them.
    const plain = args.inputs.bias === undefined && args.inputs.preluActivationWeights === undefined && ((args.attrs as { activation?: string } | undefined)?.activation ?? 'linear') === 'linear';
    const columns = tb ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const simd = MATMUL_TUNING.simd && plain && !(ta && tb) && columns % 4 === 0 ? simdKernels(args.backend) : null;
    if (!simd && !ta && !tb) return fallback(args) as Info;
    return withOps(tf, args.backend, (ops) => {
      if (simd) {
        const product = ta ? simdTransposedA(ops, args.backend, simd, a, b) : simdProduct(ops, args.backend, simd, a, tb ? ops.transpose(b, swapLast(b.shape.length)) : b);
        if (product) return product;
        if (!ta && !tb) return ops.run('', args.inputs, attrs, fallback);
      }
      const a2 = ta ? ops.transpose(a, swapLast(a.shape.length)) : a;
      const b2 = tb ? ops.transpose(b, swapLast(b.shape.length)) : b;
      return ops.run('', { ...args.inputs, a: a2, b: b2 }, { ...attrs, transposeA: false, transposeB: false }, fallback);
    });
  };
}

/** Whether the products may take the SIMD kernels (the bench turns it off to compare). */
export const MATMUL_TUNING: { simd: boolean } = { simd: true };

/**
 * aᵀ·b for a [K, M] and b [K, N] (a dense layer's weight gradient xᵀ·dy) by `gemmRuns`: row t of
 * the product reads column t of a (byte offset 4t, stepping a row, 4M bytes, per k), one run of
 * all K rows; nothing transposed or packed. Null for an empty product.
 */
function simdTransposedA(ops: Ops, backend: unknown, simd: SimdKernels, a: Info, b: Info): Info | null {
  const [k, m] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  if (k === 0 || m === 0) return null;
  const rows = intTable(ops, backend, m, (view) => view.forEach((_, t) => (view[t] = 4 * t)));
  const runs = intTable(ops, backend, 3, (view) => view.set([0, 0, k]));
  const out = ops.run('', {}, {}, () => (backend as WasmBackendFull).makeOutput([...a.shape.slice(0, -2), m, n], 'float32'));
  simd.gemmRuns(heapOffset(backend, a), heapOffset(backend, rows), m, 4 * m, heapOffset(backend, b), 4 * n, n, heapOffset(backend, out), heapOffset(backend, runs), 1, 1);
  return out;
}

/**
 * a·b for a [M, K] and b [K, N] by `convRuns`, as a 1×1 convolution of M positions with K
 * channels whose filter is b: a dense layer's forward product in training (XNNPACK packed b, the
 * weights, anew every step) and, with b = Wᵀ transposed first, its input gradient dy·Wᵀ. Null
 * for an empty product.
 */
function simdProduct(ops: Ops, backend: unknown, simd: SimdKernels, a: Info, b: Info): Info | null {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  if (k === 0 || m === 0) return null;
  const rows = intTable(ops, backend, 1, (view) => (view[0] = 0));
  const runs = intTable(ops, backend, 3, (view) => view.set([0, 0, m]));
  const out = ops.run('', {}, {}, () => (backend as WasmBackendFull).makeOutput([...a.shape.slice(0, -2), m, n], 'float32'));
  simd.convRuns(heapOffset(backend, a), heapOffset(backend, rows), 1, k, 4 * k, heapOffset(backend, b), n, heapOffset(backend, out), heapOffset(backend, runs), 1, 0, 0);
  return out;
}

/** The activations of `_FusedMatMul` and the wasm kernels that apply them. */
const ACTIVATION_KERNELS: Record<string, string | null> = {
  linear: null,
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/**
 * `_FusedMatMul` (a·b + bias, then an activation). With one batch and a bias of one value per
 * column, any transposed operand is transposed explicitly (`Transpose`) and the replaced kernel
 * runs untransposed, on XNNPACK. Otherwise it is composed of `BatchMatMul`, `Add` and the
 * activation's kernel (`Relu`, `Relu6`, `Elu`, `Sigmoid`, `LeakyRelu`, `Prelu`): the replaced
 * kernel's scalar path adds the bias wrongly there (bias[min(i·n + j, n − 1)] instead of
 * bias[j]), so batched products with a bias, and size-1 biases, came out wrong.
 */
export function fusedMatMul(tf: TF, fallback: KernelFn) {
  const plain = untransposedMatMul(tf, fallback);
  return (args: KernelArgs): Info => {
    const { a, b, bias, preluActivationWeights } = args.inputs as { a: Info; b: Info; bias?: Info; preluActivationWeights?: Info };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    const columns = attrs.transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const single = prod(a.shape.slice(0, -2)) === 1 && prod(b.shape.slice(0, -2)) === 1;
    if (single && (bias == null || size(bias.shape) === columns)) return plain(args);
    const activation = attrs.activation ?? 'linear';
    if (!(activation in ACTIVATION_KERNELS) || a.dtype !== 'float32') return fallback(args) as Info;
    return withOps(tf, args.backend, (ops) => {
      let out = ops.run('BatchMatMul', { a, b }, { transposeA: attrs.transposeA === true, transposeB: attrs.transposeB === true });
      if (bias) out = ops.run('Add', { a: out, b: bias });
      const kernel = ACTIVATION_KERNELS[activation];
      if (kernel === 'LeakyRelu') out = ops.run(kernel, { x: out }, { alpha: attrs.leakyreluAlpha ?? 0.2 });
      else if (kernel === 'Prelu') out = ops.run(kernel, { x: out, alpha: preluActivationWeights });
      else if (kernel) out = ops.run(kernel, { x: out });
      return out;
    });
  };
}

/**
 * `Identity`, and `Cast` to the dtype the tensor already has: the output shares the input's
 * data (one more backend reference, `incRef`), as on the cpu and webgl backends, instead of the
 * wasm kernels' full copy. Tensors are immutable, so sharing is safe. The gradient tape's
 * saved-tensor clones and Adam's casts are such calls: ~30 per CNN step, each copying a
 * layer's activations. String tensors and real casts go to the replaced kernel.
 */
export function sharedIdentity(fallback: KernelFn, cast: boolean) {
  return (args: KernelArgs): Info => {
    const { x } = args.inputs as { x: Info };
    const dtype = cast ? (args.attrs as { dtype?: string } | undefined)?.dtype : x.dtype;
    if (x.dtype === 'string' || dtype !== x.dtype) return fallback(args) as Info;
    (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
}
