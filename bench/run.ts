/**
 * `npm run bench` runs every bench, one after another, each in its own process;
 * `npm run bench -- argon2 cold-start` runs the named ones.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { benchDir } from './lib/report';

const benches = [
  'trpc-overhead',
  'argon2',
  'cold-start',
  'ladder',
  'watermark',
  'abcost',
  'viewers',
  'upload',
  'player-size',
  'storefront',
  'gas',
  'indexer',
  'payments',
  'checkout',
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benches.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (choose from ${benches.join(', ')})`);
  process.exit(2);
}

const failed: string[] = [];
for (const name of wanted.length > 0 ? wanted : benches) {
  process.stdout.write(`\n=== bench/${name}.ts ===\n`);
  // The same Node flags as this process, so the tsx loader too.
  const child = spawn(process.execPath, [...process.execArgv, join(benchDir, `${name}.ts`)], {
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
