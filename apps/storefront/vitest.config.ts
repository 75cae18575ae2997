import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // One build of the pages for every test file, made before any of them starts.
    globalSetup: ['./test/build.ts'],
    fileParallelism: false,
    // Pages in a loaded Chromium can take seconds to settle.
    expect: { poll: { timeout: 10_000 } },
  },
});
