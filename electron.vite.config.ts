import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const alias = {
  '@contract/': resolve(__dirname, 'src-main/contract') + '/',
  '@contract': resolve(__dirname, 'src-main/contract/index.ts'),
  '@renderer': resolve(__dirname, 'src-renderer/src'),
};

export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      // Dependencies stay external: tfjs-node and tfjs-node-gpu are native and must be
      // loaded from node_modules at run time, never bundled (tfjs#1054, tfjs#2763).
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          engine: resolve(__dirname, 'src-main/engine/main.ts'),
          cli: resolve(__dirname, 'src-main/host/cli.ts'),
          // The engine's kernel worker threads (src-main/engine/backend/wasm/batchSplit.ts).
          kernelWorker: resolve(__dirname, 'src-main/engine/backend/wasm/kernelWorker.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      // A sandboxed preload cannot require node_modules: bundle the contract's zod into it.
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: { input: { index: resolve(__dirname, 'src-main/electron/preload.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    resolve: { alias },
    plugins: [vue()],
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
});
