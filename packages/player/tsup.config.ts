import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // For bundlers: @ppv/sdk and shaka-player stay dependencies.
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'browser',
    external: ['@ppv/sdk', 'shaka-player'],
  },
  {
    // For a plain <script type="module">: everything in one minified file.
    entry: { 'ppv-player': 'src/index.ts' },
    format: ['esm'],
    sourcemap: true,
    minify: true,
    target: 'es2022',
    platform: 'browser',
    noExternal: [/.*/],
  },
]);
