import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { resolve } from 'node:path';

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@contract/': resolve(__dirname, 'src-main/contract') + '/',
      '@contract': resolve(__dirname, 'src-main/contract/index.ts'),
      '@renderer': resolve(__dirname, 'src-renderer/src'),
    },
  },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/support/globalSetup.ts'],
    // The default reporter's summary, then the reliability table (issue 9) below it.
    reporters: ['default', './test/support/reliabilityReporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // tfjs keeps global backend state; one file per worker, two workers for two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
