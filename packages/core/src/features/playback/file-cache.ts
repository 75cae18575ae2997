/**
 * Small immutable files (the encrypted HLS segments) kept in memory, least recently used out first,
 * up to `maxBytes` in all. An entry holds for the size and modification time its file had when it
 * was read: the caller passes the file's current stat (`version` gives it, stating the file at
 * most once per `revalidateMs` per file), so a deleted file stops being served within that time
 * and a replaced one is read again. Concurrent misses for one file share one read. Nothing is kept
 * of a read that fails or whose length is not the size it was stated with (a file changing under
 * the read).
 */
export interface FileVersion {
  size: number;
  mtime: Date;
}

interface Entry {
  version: string;
  size: number;
  bytes: Promise<Buffer>;
}

export interface FileCacheOptions {
  /** Bytes kept at most, over all entries. */
  maxBytes: number;
  /** Files larger than this are never kept (callers stream them). */
  maxEntryBytes: number;
  /** How long a stat of a file is reused by `version` (default 1000 ms; 0: every time). */
  revalidateMs?: number;
  /** Milliseconds now (default `Date.now`). */
  now?: () => number;
}

export class FileCache {
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  private readonly revalidateMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly stats = new Map<string, { at: number; version: Promise<FileVersion | null> }>();
  private total = 0;

  constructor(options: FileCacheOptions) {
    this.maxBytes = options.maxBytes;
    this.maxEntryBytes = options.maxEntryBytes;
    this.revalidateMs = options.revalidateMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The file's stat from `stat`, or the one taken less than `revalidateMs` ago (concurrent callers
   * share one). Stats are remembered only for files that exist and fit, at most one per entry slot.
   */
  version(key: string, stat: () => Promise<FileVersion | null>): Promise<FileVersion | null> {
    const now = this.now();
    const seen = this.stats.get(key);
    if (seen && now - seen.at < this.revalidateMs) return seen.version;
    const version = stat().then(
      (v) => {
        if (!v || !this.fits(v.size)) this.forget(key, remembered);
        return v;
      },
      (error: unknown) => {
        this.forget(key, remembered);
        throw error;
      },
    );
    const remembered = { at: now, version };
    this.stats.delete(key);
    this.stats.set(key, remembered);
    // Bounded like the entries: the oldest stats go first.
    for (const [oldKey, old] of this.stats) {
      if (this.stats.size <= Math.max(1024, 2 * this.entries.size)) break;
      this.forget(oldKey, old);
    }
    return version;
  }

  private forget(key: string, stat: { at: number }): void {
    if (this.stats.get(key) === stat) this.stats.delete(key);
  }

  /** Whether a file of this size may be kept (so `get` makes sense for it). */
  fits(size: number): boolean {
    return size <= this.maxEntryBytes && size <= this.maxBytes;
  }

  /** Bytes currently held (or being read). */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The file's bytes for `version`, from memory or from `load` (which reads the whole file). */
  get(key: string, version: FileVersion, load: () => Promise<Buffer>): Promise<Buffer> {
    const tag = `${version.size}:${version.mtime.getTime()}`;
    const hit = this.entries.get(key);
    if (hit?.version === tag) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.bytes;
    }
    if (hit) this.remove(key, hit);
    if (!this.fits(version.size)) return load();
    const entry: Entry = {
      version: tag,
      size: version.size,
      bytes: load().then(
        (bytes) => {
          if (bytes.length !== version.size) this.remove(key, entry);
          return bytes;
        },
        (error: unknown) => {
          this.remove(key, entry);
          throw error;
        },
      ),
    };
    this.entries.set(key, entry);
    this.total += entry.size;
    for (const [oldKey, old] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.remove(oldKey, old);
    }
    return entry.bytes;
  }

  private remove(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.total -= entry.size;
  }
}
