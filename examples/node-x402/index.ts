// Usage: PAYER_KEY=0x… npx tsx examples/node-x402/index.ts <hub url> <tenant slug> <API token> <video id> [out.mp4]
// e.g.   PAYER_KEY=0x… npx tsx examples/node-x402/index.ts http://localhost:8080 demo ppv_pat_… 5b0c… out.mp4
import { privateKeyToAccount } from 'viem/accounts';
import { buyAccess, saveStream } from './x402-client';

const [url, tenant, apiToken, videoId, out = 'out.mp4'] = process.argv.slice(2);
const key = process.env.PAYER_KEY;
if (!url || !tenant || !apiToken || !videoId || !key?.match(/^0x[0-9a-fA-F]{64}$/)) {
  console.error(
    'usage: PAYER_KEY=0x<32-byte hex> index.ts <hub url> <tenant slug> <API token> <video id> [out.mp4]',
  );
  process.exit(2);
}
const hub = { url, tenant, apiToken };
try {
  const { playback, settlement } = await buyAccess(hub, videoId, privateKeyToAccount(key as `0x${string}`));
  process.stdout.write(settlement ? `paid in ${settlement.transaction}\n` : 'already entitled: no payment\n');
  await saveStream(hub, playback, out);
  process.stdout.write(`saved ${out}\n`);
} catch (error) {
  console.error(`The hub refused: ${(error as Error).message}`);
  process.exit(1);
}
