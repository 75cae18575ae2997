import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

// Server-rendered pages, built as a request handler the hub mounts (docs/storefront.md).
export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'middleware' }),
  outDir: './dist',
  // The hub answers /trpc, /media, /play and the rest itself; no trailing-slash redirects here.
  trailingSlash: 'never',
  build: { inlineStylesheets: 'always', assets: '_astro' },
  devToolbar: { enabled: false },
  vite: {
    // The hub's Content-Security-Policy allows scripts from 'self' only: never inline a script.
    // shaka-player (800 kB) is loaded only by the pages that play video.
    build: { assetsInlineLimit: 0, chunkSizeWarningLimit: 1000 },
  },
});
