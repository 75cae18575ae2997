import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';

/**
 * Where media lives, by key: `<tenantId>/<videoId>/…` (e.g. `t/v/hls/A/v0/00001-3f2a….ts`). Callers
 * never see paths, so an S3-compatible store can replace the local disk without touching them.
 */
export interface MediaStorage {
  /** Moves a finished local file in, atomically replacing the key. */
  putFile(key: string, localFile: string): Promise<void>;
  /** Publishes a finished local folder as `prefix`, atomically: readers see all of it or none. */
  publishDir(prefix: string, localDir: string): Promise<void>;
  stat(key: string): Promise<{ size: number; mtime: Date } | null>;
  read(key: string, range?: { start: number; end: number }): ReadStream;
  /** Removes everything under `prefix`; a missing prefix is not an error. */
  deletePrefix(prefix: string): Promise<void>;
  /** A local path for tools that need one (ffmpeg input); only the local store has them. */
  localPath(key: string): string;
  /**
   * A fresh private folder on the same file system, for work that `publishDir` then moves in. Made
   * under a `label` (letters, digits, `-`), it can be found again by `removeStaging(label)`.
   */
  stagingDir(label?: string): Promise<string>;
  /**
   * Removes every staging folder made under `label`: how a retry clears what a killed run of the
   * same work left behind. The caller makes sure no live run still uses the label.
   */
  removeStaging(label: string): Promise<void>;
}

const STAGING_LABEL = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;

function assertStagingLabel(label: string): void {
  if (!STAGING_LABEL.test(label)) throw new Error(`invalid staging label: ${JSON.stringify(label)}`);
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Rejects anything but plain relative keys: no `..`, no absolute paths, no backslashes or NULs. */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
  }
}

export class LocalStorage implements MediaStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  localPath(key: string): string {
    assertSafeKey(key);
    const path = join(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
    return path;
  }

  async putFile(key: string, localFile: string): Promise<void> {
    const target = this.localPath(key);
    await mkdir(dirname(target), { recursive: true });
    await rename(localFile, target);
  }

  async publishDir(prefix: string, localDir: string): Promise<void> {
    const target = this.localPath(prefix);
    await mkdir(dirname(target), { recursive: true });
    // A publisher killed between its two renames left its predecessor as `<name>.old-…`.
    const stale = `${basename(target)}.old-`;
    for (const entry of await readdir(dirname(target))) {
      if (entry.startsWith(stale)) await rm(join(dirname(target), entry), { recursive: true, force: true });
    }
    const old = `${target}.old-${process.pid}-${Date.now()}`;
    await rename(target, old).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(localDir, target);
    await rm(old, { recursive: true, force: true });
  }

  async stat(key: string): Promise<{ size: number; mtime: Date } | null> {
    try {
      const s = await stat(this.localPath(key));
      return s.isFile() ? { size: s.size, mtime: s.mtime } : null;
    } catch {
      return null;
    }
  }

  read(key: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.localPath(key), range);
  }

  async stagingDir(label?: string): Promise<string> {
    // Keys cannot start with a dot, so staging folders are never reachable as media.
    const base = join(this.root, '.staging');
    await mkdir(base, { recursive: true });
    if (label === undefined) return mkdtemp(join(base, 'work-'));
    assertStagingLabel(label);
    return mkdtemp(join(base, `${label}.`));
  }

  async removeStaging(label: string): Promise<void> {
    assertStagingLabel(label);
    const base = join(this.root, '.staging');
    const entries = await readdir(base).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    // mkdtemp appends six characters to `<label>.`; a longer label sharing the prefix never matches.
    const mine = entries.filter((e) => e.startsWith(`${label}.`) && e.length === label.length + 7);
    await Promise.all(mine.map((e) => rm(join(base, e), { recursive: true, force: true })));
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.localPath(prefix), { recursive: true, force: true });
  }
}
