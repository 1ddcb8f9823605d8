// wabt's text-to-binary for the SIMD kernels, shared by the build script and the test that
// checks the committed binary.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

/**
 * The module's text: module.wat with the functions of every other .wat file of `dir` (in the
 * order of their names) in place of its `;; FUNCTIONS` line.
 */
export function simdModuleSource(dir) {
  const frame = readFileSync(join(dir, 'module.wat'), 'utf8');
  if (!frame.includes(';; FUNCTIONS')) throw new Error(`${join(dir, 'module.wat')} has no ";; FUNCTIONS" line to put the kernels at`);
  const parts = readdirSync(dir)
    .filter((name) => name.endsWith('.wat') && name !== 'module.wat')
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
  return frame.replace(';; FUNCTIONS', parts.join('\n'));
}

/** The module's text compiled to a validated wasm binary (SIMD enabled, no debug names). */
export async function compileSimdKernels(source) {
  const wabt = await wabtInit();
  const module = wabt.parseWat('simd kernels', source, { simd: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}
