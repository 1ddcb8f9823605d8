// wabt's text-to-binary for the SIMD kernels, shared by the build script and the test that
// checks the committed binary.
import wabtInit from 'wabt';

/** The .wat source compiled to a validated wasm binary (SIMD enabled, no debug names). */
export async function compileSimdKernels(source) {
  const wabt = await wabtInit();
  const module = wabt.parseWat('kernels.wat', source, { simd: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}
