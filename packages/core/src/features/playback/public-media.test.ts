import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { resolvePublicMedia } from './public-media';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const t = '0b9f1c2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
const v = '1c2d3e4f-5a6b-4c7d-9e8f-0a1b2c3d4e5f';

describe('resolvePublicMedia', () => {
  it('serves encrypted segments as immutable, stills for five minutes, only on their tenant', async () => {
    const segment = `${t}/${v}/hls/720p/00042-0123456789abcdef.ts`;
    expect(await resolvePublicMedia(h.deps, { tenantId: t, path: segment })).toEqual({
      key: segment,
      contentType: 'video/mp2t',
      cacheControl: 'public, max-age=31536000, immutable',
      immutable: true,
    });
    expect(await resolvePublicMedia(h.deps, { tenantId: t, path: `${t}/${v}/hls/storyboard.vtt` })).toEqual({
      key: `${t}/${v}/hls/storyboard.vtt`,
      contentType: 'text/vtt; charset=utf-8',
      cacheControl: 'public, max-age=300',
      immutable: false,
    });
    expect(await resolvePublicMedia(h.deps, { tenantId: v, path: segment })).toBeNull();
  });

  it('error: nothing else matches', async () => {
    for (const file of [
      'manifest.json',
      'master.m3u8',
      '720p/A.m3u8',
      '720p/index.m3u8',
      '720p/seg_00000.ts',
      '720p/00042-0123456789ABCDEF.ts',
      '720p/00042-0123456789abcdef.ts.map',
      'preview/00042-0123456789abcdef.ts',
      'watermark/720p.ppvwm',
      '../source.mp4',
      '720p/../../source.mp4',
      '%2e%2e/source.mp4',
      'poster.jpg%00',
      'a/b/00042-0123456789abcdef.ts',
    ]) {
      expect([
        file,
        await resolvePublicMedia(h.deps, { tenantId: t, path: `${t}/${v}/hls/${file}` }),
      ]).toEqual([file, null]);
    }
    expect(await resolvePublicMedia(h.deps, { tenantId: t, path: `${t}/${v}/source/clip.mp4` })).toBeNull();
  });

  it('error: no preview without a published manifest that has one', async () => {
    expect(
      await resolvePublicMedia(h.deps, { tenantId: t, path: `${t}/${v}/hls/preview/index.m3u8` }),
    ).toBeNull();
  });
});
