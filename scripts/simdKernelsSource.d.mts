/** The module's text: module.wat with the functions of the folder's other .wat files in place of its `;; FUNCTIONS` line. */
export function simdModuleSource(dir: string): string;
/** The module's text compiled to a validated wasm binary (SIMD enabled, no debug names). */
export function compileSimdKernels(source: string): Promise<Uint8Array>;
