import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Harness } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';

const run = promisify(execFile);

/** A few seconds of test picture and tone, as a camera would upload it. */
export async function makeClip(dir: string, seconds: number): Promise<Buffer> {
  const file = join(dir, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=15:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=330:duration=${seconds}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', file],
  ]);
  return readFile(file);
}

const tusMetadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

/** Uploads `bytes` (tus, in the creation request) and waits until the real transcode task made it ready. */
export async function uploadAndTranscode(
  hubUrl: string,
  tenant: Tenant,
  creator: { api: Awaited<ReturnType<Harness['signedIn']>>['api'] },
  bytes: Buffer,
  fields: { title: string; priceCents: number; previewSeconds: number },
): Promise<string> {
  const { token } = await creator.api.apiTokens.create({ name: 'uploader' });
  const res = await fetch(`${hubUrl}/uploads`, {
    method: 'POST',
    headers: {
      'tus-resumable': '1.0.0',
      'x-ppv-tenant': tenant.slug,
      authorization: `Bearer ${token}`,
      'upload-length': String(bytes.length),
      'upload-metadata': tusMetadata({
        filename: 'clip.mp4',
        title: fields.title,
        priceCents: String(fields.priceCents),
        previewSeconds: String(fields.previewSeconds),
      }),
      'content-type': 'application/offset+octet-stream',
    },
    body: new Uint8Array(bytes),
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  const { videoId } = (await res.json()) as { videoId: string };
  const deadline = Date.now() + 180_000;
  for (;;) {
    const video = await creator.api.videos.get({ videoId });
    if (video.status === 'ready') return videoId;
    if (video.status === 'error' || Date.now() > deadline)
      throw new Error(`transcode: ${video.status} ${'lastError' in video ? video.lastError : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * A third-party site embedding the player: its own origin, serving the browser bundle and a page
 * with `<ppv-player>` whose attributes come from the query string.
 */
export async function startEmbedSite(bundle: string): Promise<{ server: Server; origin: string }> {
  const js = await readFile(bundle);
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>An embed</title>
<style>body { font-family: system-ui; margin: 24px; max-width: 720px; }</style></head>
<body>
<h1>A blog post with a paywalled video</h1>
<div id="slot"></div>
<script type="module">
  import '/ppv-player.js';
  const q = new URLSearchParams(location.search);
  window.events = [];
  for (const name of ['ppv-state', 'ppv-checkout', 'ppv-error', 'ppv-signed-in'])
    document.addEventListener(name, (e) => window.events.push({ name, detail: e.detail?.state ?? e.detail?.message ?? e.detail?.videoId ?? null }));
  const player = document.createElement('ppv-player');
  for (const a of ['hub', 'tenant', 'video']) player.setAttribute(a, q.get(a));
  if (q.has('autoplay')) player.setAttribute('autoplay', '');
  document.getElementById('slot').append(player);
</script>
</body></html>`;
  const server = createServer((req, res) => {
    if (req.url === '/ppv-player.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
