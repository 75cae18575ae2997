import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

// Server-rendered pages, built as a request handler the console's own server mounts (docs/console.md).
export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'middleware' }),
  outDir: './dist',
  trailingSlash: 'never',
  build: { inlineStylesheets: 'always', assets: '_astro' },
  devToolbar: { enabled: false },
  // Form posts must come from the console's own origin (Astro checks the Origin header).
  security: { checkOrigin: true },
  vite: {
    // The console's Content-Security-Policy allows scripts from 'self' only: never inline a script.
    build: { assetsInlineLimit: 0 },
  },
});
