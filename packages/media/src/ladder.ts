/**
 * The adaptive bitrate ladder: which renditions to make from a source, at which size and bit rate.
 *
 * Rungs are picked on the picture's **short side** (the height of a landscape picture, the width of
 * a portrait one), after rotation, from STANDARD_HEIGHTS, never above the source: we never upscale.
 * When the source's short side is below 1080 and not a standard rung, it becomes the top rung
 * itself (a 540p source gives 540/480/360/240; a 200p source only 200). The long side keeps the
 * aspect ratio; both sides are even, as 4:2:0 H.264 needs.
 *
 * Bit rates (H.264 High, capped VBR; tuned for 24–30 fps, adequate up to 60):
 *
 * | short side | video    | maxrate  | bufsize   | audio (AAC stereo) |
 * | ---------- | -------- | -------- | --------- | ------------------ |
 * | 1080       | 5000 k   | 7500 k   | 10000 k   | 128 k              |
 * | 720        | 2800 k   | 4200 k   | 5600 k    | 128 k              |
 * | 480        | 1400 k   | 2100 k   | 2800 k    | 128 k              |
 * | 360        | 800 k    | 1200 k   | 1600 k    | 96 k               |
 * | 240        | 400 k    | 600 k    | 800 k     | 64 k               |
 *
 * maxrate is 1.5× and bufsize 2× the video rate. A non-standard top rung (the source's own size)
 * gets a video rate interpolated linearly on the short side between its standard neighbours
 * (540 → 1750 k), below 240 proportionally to 240's (200 → 333 k, never under 150 k), and the
 * audio rate of the standard rung below it.
 */

export const STANDARD_HEIGHTS = [1080, 720, 480, 360, 240] as const;

const VIDEO_KBPS: Record<(typeof STANDARD_HEIGHTS)[number], number> = {
  1080: 5000,
  720: 2800,
  480: 1400,
  360: 800,
  240: 400,
};
const MIN_VIDEO_KBPS = 150;

export interface Rung {
  /** `<short side>p`, e.g. `720p` for 1280x720 and for 720x1280. */
  name: string;
  width: number;
  height: number;
  shortSide: number;
  /** Bits per second. */
  videoBitrate: number;
  maxRate: number;
  bufSize: number;
  audioBitrate: number;
}

export interface DisplaySize {
  displayWidth: number;
  displayHeight: number;
}

/** The ladder for a source of this display size, largest rung first. */
export function computeLadder(source: DisplaySize, heights: readonly number[] = STANDARD_HEIGHTS): Rung[] {
  const sourceShort = Math.max(2, 2 * Math.floor(Math.min(source.displayWidth, source.displayHeight) / 2));
  const wanted = [...new Set(heights)].sort((a, b) => b - a);
  const top = wanted[0] ?? sourceShort;
  const shorts = wanted.filter((h) => h <= sourceShort);
  if (sourceShort < top && !shorts.includes(sourceShort)) shorts.unshift(sourceShort);
  return shorts.map((short) => rungFor(source, short));
}

/** One rung of `short` pixels on the short side for a source of this display size (no upscaling check). */
export function rungFor(source: DisplaySize, short: number): Rung {
  const landscape = source.displayWidth >= source.displayHeight;
  const ratio = landscape
    ? source.displayWidth / source.displayHeight
    : source.displayHeight / source.displayWidth;
  const long = even(short * ratio);
  const kbps = videoKbps(short);
  return {
    name: `${short}p`,
    width: landscape ? long : short,
    height: landscape ? short : long,
    shortSide: short,
    videoBitrate: kbps * 1000,
    maxRate: Math.round(kbps * 1.5) * 1000,
    bufSize: kbps * 2 * 1000,
    audioBitrate: short >= 480 ? 128_000 : short >= 360 ? 96_000 : 64_000,
  };
}

function videoKbps(short: number): number {
  const table = STANDARD_HEIGHTS.map((h) => [h, VIDEO_KBPS[h]] as const);
  const exact = table.find(([h]) => h === short);
  if (exact) return exact[1];
  const above = table.filter(([h]) => h > short).pop();
  const below = table.find(([h]) => h < short);
  if (above && below) {
    const [h1, r1] = below;
    const [h2, r2] = above;
    return Math.round(r1 + ((short - h1) / (h2 - h1)) * (r2 - r1));
  }
  if (below) return below[1]; // above 1080: computeLadder never asks, rungFor callers may
  return Math.max(MIN_VIDEO_KBPS, Math.round((VIDEO_KBPS[240] * short) / 240));
}

/** Rounds to the nearest even number, at least 2. */
function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}
