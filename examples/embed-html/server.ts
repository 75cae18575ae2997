/**
 * The third-party site: a static server for `public/` and the player's browser bundle, on its own
 * origin. Nothing here talks to the hub; the page does, from the browser.
 *
 *   npx tsx examples/embed-html/server.ts [port] [host]     (default 5173 on 127.0.0.1)
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** `@ppv/player/bundle`: the whole player (shaka-player and the SDK inside) in one ES module. */
function playerBundle(): string {
  try {
    return createRequire(import.meta.url).resolve('@ppv/player/bundle');
  } catch {
    throw new Error('The player is not built: run `npm run build -w @ppv/sdk -w @ppv/player` first');
  }
}

export interface EmbedSite {
  server: Server;
  /** e.g. http://127.0.0.1:5173 */
  origin: string;
  close(): Promise<void>;
}

export async function startEmbedSite(port = 5173, host = '127.0.0.1'): Promise<EmbedSite> {
  const bundle = await readFile(playerBundle());
  const files = new Map<string, Buffer>([['/ppv-player.js', bundle]]);
  for (const name of ['index.html', 'embed.js']) files.set(`/${name}`, await readFile(join(publicDir, name)));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    const body = files.get(path === '/' ? '/index.html' : path);
    if (!body || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const type = types[extname(path === '/' ? '/index.html' : path)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    origin: `http://${host}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const site = await startEmbedSite(Number(process.argv[2] ?? 5173), process.argv[3] ?? '127.0.0.1');
  process.stdout.write(`Embed site on ${site.origin}/?hub=http://localhost:8080&video=<video id>\n`);
}
