#!/usr/bin/env node
// `npx ppv …`: runs the CLI from its TypeScript sources through tsx. Production images run the
// bundle (dist/main.js) directly.
import { spawn } from 'node:child_process';
import { register } from 'tsx/esm/api';

/**
 * `ppv start` serves uploads, so its process needs V8's young generation kept small (see
 * docs/delivery.md, "Memory"), a flag V8 reads only when the process starts: without it on the
 * command line or in NODE_OPTIONS, the command runs in a child given it. The child gets the
 * signals sent to this process (`ppv start` stops once, however many it receives) and its exit
 * code becomes this one's.
 */
const SEMI_SPACE = '--max-semi-space-size=2';
const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const flagged = flags.some((flag) => flag.startsWith('--max-semi-space-size'));

if (process.argv[2] === 'start' && !flagged) {
  const child = spawn(process.execPath, [SEMI_SPACE, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
