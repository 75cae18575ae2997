#!/usr/bin/env node
// `npx ppv …`: runs the CLI from its TypeScript sources through tsx. Production images run the
// bundle (dist/main.js) directly.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/main.ts', import.meta.url).href);
