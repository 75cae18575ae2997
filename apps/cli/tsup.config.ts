import { defineConfig } from 'tsup';

/**
 * The production build of the `ppv` command: one ESM file, dist/main.js, run with plain node.
 * The internal @ppv/* workspace packages (TypeScript sources) are inlined; every npm dependency
 * stays an import resolved from node_modules at run time, because some of them (MikroORM, knex,
 * graphile-worker, pino) load modules dynamically and native ones (argon2) cannot be bundled.
 */
export default defineConfig({
  entry: { main: 'src/main.ts' },
  outDir: 'dist',
  format: ['esm'],
  platform: 'node',
  target: 'node22',
  splitting: false,
  sourcemap: true,
  clean: true,
  skipNodeModulesBundle: true,
  noExternal: [/^@ppv\//],
  removeNodeProtocol: false,
});
