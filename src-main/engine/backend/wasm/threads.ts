/**
 * Experimental: the multi-threaded build of the tfjs wasm backend in Node.js (not used by the
 * engine; the throughput bench measures it).
 */
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import type { TF } from './kernelOps';
import { ownedTempDir } from '../../tempDirs';

/** The part of `@tensorflow/tfjs-backend-wasm` that `enableWasmThreads` uses. */
export interface WasmBackendModule {
  setThreadsCount(threads: number): void;
}

/**
 * Experimental: makes the next initialisation of the wasm backend in Node.js use the
 * multi-threaded build (`tfjs-backend-wasm-threaded-simd.wasm`, XNNPACK on a pool of
 * `threads` worker threads), which tfjs 4.22 turns off in Node (tfjs#3830). Call it before
 * `tf.setBackend('wasm')` and call the function it returns once that has resolved.
 *
 * Three things stand in the way in Node and are bridged here, for as long as the returned
 * function is not called: the pthread worker script and the main script are handed to the
 * workers as Blob URLs, which Node's Worker cannot load, so `Blob` and `URL.createObjectURL`
 * are wrapped to write those two scripts to a temporary folder and return their paths (the
 * worker script gets a preamble that resolves the main script the same way, and the main
 * script one that defines the CommonJS bindings of the tfjs-backend-wasm 4.22 bundle it was
 * cut from); and the pool is capped at half of `os.cpus().length`, so `os.cpus` reports
 * 2·threads cores while the module initialises. It depends on that exact bundle: any failure
 * shows as a failing `tf.setBackend('wasm')`, after which a fresh process should run
 * single-threaded. The worker threads keep the process alive: end it with `process.exit`.
 */
export function enableWasmThreads(tf: TF, wasmModule: WasmBackendModule, threads: number): () => void {
  if (threads <= 1) return () => {};
  const dir = ownedTempDir('trainbench-wasm-');
  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL;
  const originalCpus = os.cpus;
  const texts = new WeakMap<object, string>();
  let mainScript = '';
  let count = 0;
  globalThis.Blob = class extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.every((p) => typeof p === 'string')) {
        const text = parts.join('');
        texts.set(this, text);
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
          mainScript = path.join(dir, 'main.js');
          const bindings =
            "var require$$0 = require('fs'), require$$1 = require('path'), require$$2 = require('worker_threads'), " +
            "require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";
          fs.writeFileSync(mainScript, bindings + text);
        }
      }
    }
  } as typeof Blob;
  URL.createObjectURL = (object: Blob | MediaSource): string => {
    const text = texts.get(object);
    if (text === undefined) return originalCreate(object as Blob);
    const file = path.join(dir, `worker-${count++}.js`);
    const preamble = `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};\n`;
    fs.writeFileSync(file, preamble + text);
    return file;
  };
  os.cpus = () => {
    const cpus = originalCpus.call(os);
    while (cpus.length > 0 && cpus.length < 2 * threads) cpus.push(cpus[0]!);
    return cpus;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasmModule.setThreadsCount(threads);
  return () => {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    os.cpus = originalCpus;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
