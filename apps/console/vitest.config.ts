import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One build of the console and the storefront for every test file, made before any starts.
    globalSetup: ['./test/build.ts'],
    fileParallelism: false,
    expect: { poll: { timeout: 15_000 } },
  },
});
