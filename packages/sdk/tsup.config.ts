import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // The hub router's types are spelled out in src/generated; nothing of the server is imported.
  external: ['@trpc/client', '@trpc/server', '@noble/hashes'],
});
