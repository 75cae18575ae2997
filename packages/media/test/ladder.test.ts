import { describe, expect, it } from 'vitest';
import { computeLadder, type Rung } from '../src/index';

const sizes = (ladder: Rung[]) => ladder.map((r) => `${r.width}x${r.height}`);
const source = (displayWidth: number, displayHeight: number) => ({ displayWidth, displayHeight });

describe('computeLadder', () => {
  it('gives a 1080p source all five rungs with the documented rates', () => {
    const ladder = computeLadder(source(1920, 1080));
    expect(sizes(ladder)).toEqual(['1920x1080', '1280x720', '854x480', '640x360', '426x240']);
    expect(ladder.map((r) => r.name)).toEqual(['1080p', '720p', '480p', '360p', '240p']);
    expect(ladder.map((r) => r.videoBitrate / 1000)).toEqual([5000, 2800, 1400, 800, 400]);
    expect(ladder[0]).toMatchObject({ maxRate: 7_500_000, bufSize: 10_000_000, audioBitrate: 128_000 });
    expect(ladder.map((r) => r.audioBitrate / 1000)).toEqual([128, 128, 128, 96, 64]);
  });

  it('never goes above a 720p source', () => {
    expect(computeLadder(source(1280, 720)).map((r) => r.name)).toEqual(['720p', '480p', '360p', '240p']);
  });

  it('makes a 540p source its own top rung, with an interpolated rate', () => {
    const ladder = computeLadder(source(960, 540));
    expect(sizes(ladder)).toEqual(['960x540', '854x480', '640x360', '426x240']);
    expect(ladder[0]).toMatchObject({ name: '540p', videoBitrate: 1_750_000, audioBitrate: 128_000 });
  });

  it('ladders a portrait source on its short side', () => {
    const ladder = computeLadder(source(1080, 1920));
    expect(sizes(ladder)).toEqual(['1080x1920', '720x1280', '480x854', '360x640', '240x426']);
    expect(ladder.map((r) => r.name)).toEqual(['1080p', '720p', '480p', '360p', '240p']);
  });

  it('gives a 200p source a single rung of its own size', () => {
    const ladder = computeLadder(source(356, 200));
    expect(ladder).toEqual([
      {
        name: '200p',
        width: 356,
        height: 200,
        shortSide: 200,
        videoBitrate: 333_000,
        maxRate: 500_000,
        bufSize: 666_000,
        audioBitrate: 64_000,
      },
    ]);
  });

  it('caps a 4K source at 1080p', () => {
    expect(computeLadder(source(3840, 2160))[0]).toMatchObject({ width: 1920, height: 1080 });
  });

  it('keeps every side even and never above the source, whatever the size', () => {
    for (const [w, h] of [
      [853, 479],
      [479, 853],
      [1001, 563],
      [2560, 1080],
      [3, 3],
    ] as const) {
      for (const rung of computeLadder(source(w, h))) {
        expect(rung.width % 2, `${w}x${h} → ${rung.name}`).toBe(0);
        expect(rung.height % 2, `${w}x${h} → ${rung.name}`).toBe(0);
        expect(rung.shortSide).toBeLessThanOrEqual(Math.min(w, h));
      }
    }
    expect(sizes(computeLadder(source(853, 479)))).toEqual(['852x478', '642x360', '428x240']);
  });
});
