import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, segmentFileName, segmentTag } from '../src/index';

let root: string;
let storage: LocalStorage;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ppv-media-storage-'));
  storage = new LocalStorage(root);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LocalStorage staging', () => {
  it('removeStaging removes the folders made under a label, and only those', async () => {
    const mine = [await storage.stagingDir('transcode-v1'), await storage.stagingDir('transcode-v1')];
    const other = await storage.stagingDir('transcode-v10');
    const unlabelled = await storage.stagingDir();
    for (const dir of mine) await writeFile(join(dir, 'part.ts'), 'x');
    await storage.removeStaging('transcode-v1');
    const left = await readdir(join(root, '.staging'));
    expect(left.sort()).toEqual([other, unlabelled].map((d) => d.slice(d.lastIndexOf('/') + 1)).sort());
  });

  it('rejects labels that could name another folder', async () => {
    for (const label of ['../x', 'a/b', '.hidden', '', 'a.b'])
      await expect(storage.stagingDir(label)).rejects.toThrow(/invalid staging label/);
    await expect(storage.removeStaging('..')).rejects.toThrow(/invalid staging label/);
  });

  it('publishDir clears what a publisher killed between its two renames left behind', async () => {
    await mkdir(join(root, 't', 'v'), { recursive: true });
    await mkdir(join(root, 't', 'v', 'hls.old-123-456'));
    const staged = await storage.stagingDir('publish');
    await writeFile(join(staged, 'manifest.json'), '{}');
    await storage.publishDir('t/v/hls', staged);
    expect(await readdir(join(root, 't', 'v'))).toEqual(['hls']);
    expect(await readFile(join(root, 't', 'v', 'hls', 'manifest.json'), 'utf8')).toBe('{}');
  });
});

describe('segment names', () => {
  const secret = Buffer.alloc(32, 9);

  it('are the padded index and a tag keyed by the secret, variant, rendition and index', () => {
    const name = segmentFileName(secret, 'A', '720p', 42);
    expect(name).toMatch(/^00042-[0-9a-f]{16}\.ts$/);
    expect(name).toBe(segmentFileName(secret, 'A', '720p', 42));
    expect(segmentTag(secret, 'B', '720p', 42)).not.toBe(segmentTag(secret, 'A', '720p', 42));
    expect(segmentTag(secret, 'A', '480p', 42)).not.toBe(segmentTag(secret, 'A', '720p', 42));
    expect(segmentTag(Buffer.alloc(32, 8), 'A', '720p', 42)).not.toBe(segmentTag(secret, 'A', '720p', 42));
  });

  it('error: a negative or fractional index', () => {
    expect(() => segmentFileName(secret, 'A', '720p', -1)).toThrow(RangeError);
    expect(() => segmentFileName(secret, 'A', '720p', 1.5)).toThrow(RangeError);
  });
});
