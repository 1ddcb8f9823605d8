;; Trainbench's own WebAssembly SIMD kernels, run on the tfjs wasm backend's heap.
;;
;; The module imports the wasm backend's memory, so its kernels read and write tensors where
;; the backend keeps them: every pointer below is a byte offset into that heap (the backend's
;; getMemoryOffset). Plain f32x4 arithmetic (multiply, then add: wasm SIMD has no fused
;; multiply-add; sumRows adds in f64x2), so results are the same on every machine that runs
;; wasm SIMD.
;;
;; This file is the module's frame; its functions are in the other .wat files of this folder
;; (conv, elementwise, pooling, reductions), which `npm run build:simd` (wabt,
;; scripts/simdKernelsSource.mjs) puts inside it, in the order of their names, and compiles to
;; kernelsBinary.ts; a unit test checks that the committed binary is these sources'.
(module
  (import "env" "memory" (memory 1))
  ;; FUNCTIONS
)
