/** The .wat source compiled to a validated wasm binary (SIMD enabled, no debug names). */
export function compileSimdKernels(source: string): Promise<Uint8Array>;
