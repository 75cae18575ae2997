// Usage: npx tsx examples/node-api-token/index.ts <hub url> <tenant slug> <API token>
// e.g.   npx tsx examples/node-api-token/index.ts http://localhost:8080 demo ppv_pat_…
import { describeAccount } from './client';

const [hubUrl, tenant, token] = process.argv.slice(2);
if (!hubUrl || !tenant || !token) {
  console.error('usage: index.ts <hub url> <tenant slug> <API token>');
  process.exit(2);
}
try {
  process.stdout.write(`${await describeAccount(hubUrl, tenant, token)}\n`);
} catch (error) {
  console.error(`The hub refused: ${(error as Error).message}`);
  process.exit(1);
}
