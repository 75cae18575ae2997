import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type AnvilInstance, createChainClient, startAnvil } from '@ppv/chain';
import { createVideo } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { type RunningHub, startHub } from '@ppv/hub';
import { hlsPrefix, MANIFEST_FILE } from '@ppv/media';

export interface TestHub {
  h: Harness;
  hub: RunningHub;
  anvil: AnvilInstance;
  close(): Promise<void>;
}

/** A real hub in this process, on a test database, with an anvil chain for Sign-In with Ethereum. */
export async function startTestHub(): Promise<TestHub> {
  const anvil = await startAnvil();
  const h = await createHarness({
    chain: { client: createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }), chainId: 31337 },
  });
  const hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
  return {
    h,
    hub,
    anvil,
    async close() {
      await hub.close();
      await h.close();
      await anvil.stop();
    },
  };
}

/**
 * A ready video whose published manifest names one rendition, so the hub serves its session
 * playlists and key (the segments themselves are the media pipeline's business, tested there).
 */
export async function readyVideo(
  h: Harness,
  tenant: Tenant,
  creatorId: string,
  fields: { title?: string; priceCents?: number } = {},
): Promise<string> {
  const videoId = crypto.randomUUID();
  await withTenant(h.db.orm, tenant.id, (em) =>
    createVideo(
      { ...h.deps, em, tenantId: tenant.id },
      {
        videoId,
        creatorId,
        metadata: {
          title: fields.title ?? 'A lecture',
          description: '',
          priceCents: fields.priceCents ?? 500,
          previewSeconds: 0,
        },
        source: {
          sourceKey: `${tenant.id}/${videoId}/source/clip.mp4`,
          sourceBytes: 1,
          filename: 'clip.mp4',
        },
      },
    ),
  );
  const manifest = {
    version: 1,
    durationSeconds: 4,
    segmentSeconds: 2,
    segmentCount: 2,
    segmentDurations: [2, 2],
    variants: ['A', 'B'],
    renditions: [
      {
        name: '90p',
        width: 160,
        height: 90,
        bandwidth: 300_000,
        averageBandwidth: 200_000,
        codecs: 'avc1.4d401e,mp4a.40.2',
        playlists: { A: '90p/A.m3u8', B: '90p/B.m3u8' },
      },
    ],
    preview: null,
    poster: { file: 'poster.jpg', width: 160, height: 90 },
    storyboard: null,
    watermark: null,
  };
  const file = join(h.mediaDir, hlsPrefix(tenant.id, videoId), MANIFEST_FILE);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(manifest));
  await withTenant(h.db.orm, tenant.id, (em) =>
    em.nativeUpdate(
      VideoEntity,
      { id: videoId },
      { status: 'ready', progress: 1, durationSeconds: '4.000', width: 160, height: 90, readyAt: new Date() },
    ),
  );
  return videoId;
}
