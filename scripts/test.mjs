// `npm test`: lint, type checks and every package's tests through turbo, then one closing line
// with the totals of all vitest runs ("N passed, N failed").
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import './node-check.mjs';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['apps', 'packages', 'examples']
  .flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name)))
  .concat(join(root, 'contracts'))
  .filter((dir) => existsSync(join(dir, 'package.json')));
const resultFile = (dir) => join(dir, '.vitest-results.json');
for (const dir of workspaces) rmSync(resultFile(dir), { force: true });

const turbo = spawnSync(
  'npx',
  ['turbo', 'run', 'lint', 'typecheck', 'test', '--continue', '--concurrency=2', '--output-logs=new-only'],
  { cwd: root, stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of workspaces) {
  if (!existsSync(resultFile(dir))) continue;
  const report = JSON.parse(readFileSync(resultFile(dir), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
const status = turbo.status ?? 1;
process.stdout.write(
  `\n${status === 0 ? 'ok' : 'FAILED'}: lint, typecheck and tests across ${workspaces.length} workspaces\n`,
);
process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(status);
