import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Env } from '@ppv/config';
import { traceLeakedFile } from '@ppv/core';
import { createDeps } from '../runtime';
import { withDatabase } from './database';

/** `ppv trace <file> [--video id]`: who leaked this recording? */
export async function traceCommand(
  env: Env,
  file: string,
  opts: { video?: string; json?: boolean },
): Promise<void> {
  const path = resolve(file);
  await access(path).catch(() => {
    throw new Error(`cannot read ${path}`);
  });
  await withDatabase(env, async (databaseUrl) => {
    const deps = await createDeps(env, { databaseUrl });
    try {
      const verdict = await traceLeakedFile(deps, { file: path, videoId: opts.video });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
        return;
      }
      const m = verdict.match;
      if (m) {
        process.stdout.write(
          [
            `MATCH (confidence ${(m.confidence * 100).toFixed(6)}%, false-match probability ≤ ${m.falseMatchProbability.toExponential(2)})`,
            `  video     ${m.videoTitle} (${m.videoId})`,
            `  session   ${m.code} (${m.sessionId}), started ${m.startedAt.toISOString()}${m.ip ? ` from ${m.ip}` : ''}`,
            `  viewer    ${m.viewer.username}${m.viewer.email ? ` <${m.viewer.email}>` : ''} (${m.viewer.id})`,
            `  tenant    ${m.tenant.name} (${m.tenant.slug})`,
            `  evidence  ${m.bitsRecovered} segments read, ${m.bitErrors} disagreeing`,
            '',
          ].join('\n'),
        );
        return;
      }
      process.stdout.write('NO MATCH: no playback session can be named with confidence.\n');
      for (const v of verdict.videos) {
        const r = v.result;
        process.stdout.write(
          `  ${v.title} (${v.videoId}): ${r.verdict === 'no_match' ? `${r.reason} — ${r.message}` : 'weaker match'}\n`,
        );
      }
      if (verdict.videos.length === 0) process.stdout.write('  (no watermarked video to compare with)\n');
      process.exitCode = 3;
    } finally {
      await deps.orm.close(true);
    }
  });
}
