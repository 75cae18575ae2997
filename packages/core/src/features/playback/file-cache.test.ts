import { describe, expect, it } from 'vitest';
import { FileCache } from './file-cache';

const at = (ms: number) => new Date(ms);

/** A loader that counts its calls and returns `size` bytes of `fill`. */
function loader(size: number, fill = 1) {
  const calls = { n: 0 };
  const load = async () => {
    calls.n++;
    return Buffer.alloc(size, fill);
  };
  return { calls, load };
}

describe('FileCache', () => {
  it('reads a file once for the same size and mtime, concurrent misses included', async () => {
    const cache = new FileCache({ maxBytes: 1000, maxEntryBytes: 500 });
    const { calls, load } = loader(100);
    const version = { size: 100, mtime: at(1) };
    const [a, b] = await Promise.all([cache.get('k', version, load), cache.get('k', version, load)]);
    expect(await cache.get('k', version, load)).toBe(a);
    expect(b).toBe(a);
    expect(calls.n).toBe(1);
    expect([cache.size, cache.bytes]).toEqual([1, 100]);
  });

  it('reads the file again when its mtime or size changed (a replaced file)', async () => {
    const cache = new FileCache({ maxBytes: 1000, maxEntryBytes: 500 });
    const first = loader(100, 1);
    await cache.get('k', { size: 100, mtime: at(1) }, first.load);
    const second = loader(100, 2);
    const bytes = await cache.get('k', { size: 100, mtime: at(2) }, second.load);
    expect([first.calls.n, second.calls.n, bytes[0]]).toEqual([1, 1, 2]);
    const third = loader(120, 3);
    await cache.get('k', { size: 120, mtime: at(2) }, third.load);
    expect([third.calls.n, cache.size, cache.bytes]).toEqual([1, 1, 120]);
  });

  it('evicts the least recently used entries beyond its byte budget', async () => {
    const cache = new FileCache({ maxBytes: 250, maxEntryBytes: 200 });
    const v = { size: 100, mtime: at(1) };
    const a = loader(100);
    const b = loader(100);
    const c = loader(100);
    await cache.get('a', v, a.load);
    await cache.get('b', v, b.load);
    await cache.get('a', v, a.load); // a is now the most recent
    await cache.get('c', v, c.load); // b goes
    expect([cache.size, cache.bytes]).toEqual([2, 200]);
    await cache.get('a', v, a.load);
    await cache.get('b', v, b.load);
    expect([a.calls.n, b.calls.n, c.calls.n]).toEqual([1, 2, 1]);
  });

  it('keeps no file larger than its entry limit, and nothing of a failed or short read', async () => {
    const cache = new FileCache({ maxBytes: 1000, maxEntryBytes: 100 });
    const big = loader(200);
    await cache.get('big', { size: 200, mtime: at(1) }, big.load);
    await cache.get('big', { size: 200, mtime: at(1) }, big.load);
    expect([big.calls.n, cache.size]).toEqual([2, 0]);

    await expect(
      cache.get('bad', { size: 50, mtime: at(1) }, () => Promise.reject(new Error('EIO'))),
    ).rejects.toThrow('EIO');
    expect([cache.size, cache.bytes]).toEqual([0, 0]);

    const short = loader(40);
    expect((await cache.get('short', { size: 50, mtime: at(1) }, short.load)).length).toBe(40);
    await cache.get('short', { size: 50, mtime: at(1) }, short.load);
    expect([short.calls.n, cache.size, cache.bytes]).toEqual([2, 0, 0]);
  });

  it('stats a file at most once per revalidation window, and again at once after a miss', async () => {
    let clock = 0;
    const cache = new FileCache({ maxBytes: 1000, maxEntryBytes: 500, revalidateMs: 1000, now: () => clock });
    let file: { size: number; mtime: Date } | null = { size: 10, mtime: at(1) };
    let stats = 0;
    const stat = async () => {
      stats++;
      return file;
    };
    const [a, b] = await Promise.all([cache.version('k', stat), cache.version('k', stat)]);
    expect([a, b, stats]).toEqual([file, file, 1]);
    clock = 999;
    await cache.version('k', stat);
    expect(stats).toBe(1);
    // Deleted: seen at the next revalidation, and a missing file is not remembered.
    file = null;
    clock = 1000;
    expect(await cache.version('k', stat)).toBeNull();
    expect(await cache.version('k', stat)).toBeNull();
    expect(stats).toBe(3);
    // Too large to keep: stated every time.
    file = { size: 600, mtime: at(2) };
    await cache.version('k', stat);
    await cache.version('k', stat);
    expect(stats).toBe(5);
  });
});
