import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compileContracts, generatedDir, renderArtifacts } from './compile';

const files = renderArtifacts(compileContracts());
mkdirSync(generatedDir, { recursive: true });
for (const stale of readdirSync(generatedDir)) {
  if (!files.has(stale)) rmSync(join(generatedDir, stale));
}
for (const [name, text] of files) writeFileSync(join(generatedDir, name), text);
process.stdout.write(`wrote ${files.size} files to ${relative(process.cwd(), generatedDir)}\n`);
