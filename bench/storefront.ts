/**
 * Storefront SSR: req/s and latency of the browse page of a tenant with 1,000 ready videos, rendered
 * by Astro inside the real hub with a real database (each page one videos.list query — search, sort
 * and page in PostgreSQL — through the in-process tRPC caller, and auth.me). The load generator runs
 * in a child process (see lib/load.ts). Target: p99 < 50 ms.
 */
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createVideo } from '@ppv/core';
import { createHarness } from '@ppv/core/testing';
import { createOrm, VideoEntity, withTenant } from '@ppv/db';
import { startHub } from '@ppv/hub';
import { ensureStorefrontBuilt, loadStorefront } from '@ppv/storefront';
import { type LoadResult, runLoad } from './lib/load';
import { percentile, printTable, round, writeResult } from './lib/report';

const VIDEOS = 1_000;
const CONNECTIONS = 10;
const WARMUP_SECONDS = 3;
const DURATION_SECONDS = 10;
const POOL_MAX = 10;
const TARGET_P99_MS = 50;
const QUERY_CALLS = 400;

function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const built = await ensureStorefrontBuilt();
  process.stdout.write(`storefront build: ${built}\n`);
  const harness = await createHarness();
  const orm = await createOrm({ url: harness.db.url, poolMax: POOL_MAX });
  const deps = { ...harness.deps, orm };
  const storefront = await loadStorefront();
  // A small script of the build, served by the hub's static route: the same stack without a page
  // render, the floor the machine gives any request at that moment.
  const asset = (await readdir(join(storefront.clientDir, '_astro'))).find((n) => n.startsWith('forms.'));
  if (!asset) throw new Error('the storefront build has no forms.*.js asset');
  const hub = await startHub({
    deps,
    host: '127.0.0.1',
    port: 0,
    trustProxy: false,
    storefront,
  });
  try {
    const tenant = await harness.tenant();
    const admin = await harness.signedIn(tenant, { role: 'tenant_admin' });
    await admin.api.tenant.update({ displayCurrency: 'IDR', displayRate: '17000' });
    const creator = await harness.signedIn(tenant, { role: 'creator' });
    const viewer = await harness.signedIn(tenant);
    process.stdout.write(`creating ${VIDEOS} videos…\n`);
    for (let start = 0; start < VIDEOS; start += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, VIDEOS - start) }, (_, k) =>
          withTenant(orm, tenant.id, (em) =>
            createVideo(
              { ...deps, em, tenantId: tenant.id },
              {
                creatorId: creator.userId,
                metadata: {
                  title: `Lesson ${String(start + k + 1).padStart(4, '0')}: ${['knife skills', 'sauces', 'baking', 'grilling'][(start + k) % 4]}`,
                  description: 'A cooking lesson.',
                  priceCents: 100 + (((start + k) * 37) % 2000),
                  previewSeconds: 0,
                },
                source: {
                  sourceKey: `${tenant.id}/bench/source/clip.mp4`,
                  sourceBytes: 1,
                  filename: 'clip.mp4',
                },
              },
            ),
          ),
        ),
      );
    }
    await withTenant(orm, tenant.id, (em) =>
      em.nativeUpdate(
        VideoEntity,
        {},
        { status: 'ready', progress: 1, durationSeconds: '600.000', readyAt: new Date() },
      ),
    );

    const host = `${tenant.slug}.${deps.config.hubDomain}`;
    const base = `http://127.0.0.1:${hub.port}`;
    const cookie = Object.entries(viewer.cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const cold = await get(`${base}/`, { host });
    if (cold.status !== 200 || !cold.body.includes(`${VIDEOS} videos · page 1 of 42`))
      throw new Error(`browse page: ${cold.status} ${cold.body.slice(0, 300)}`);

    const scenarios: { name: string; path: string; headers: Record<string, string> }[] = [
      { name: 'browse /, signed out', path: '/', headers: { host } },
      {
        name: 'search + sort + page 3, signed out',
        path: '/?q=sauces&sort=price_asc&page=3',
        headers: { host },
      },
      { name: 'browse /, signed in (session)', path: '/', headers: { host, cookie } },
      { name: 'floor: static asset, no render', path: `/_astro/${asset}`, headers: { host } },
    ];
    const results: { name: string; bodyBytes: number; load: LoadResult }[] = [];
    for (const scenario of scenarios) {
      const first = await get(`${base}${scenario.path}`, scenario.headers);
      if (first.status !== 200) throw new Error(`${scenario.name}: ${first.status}`);
      process.stdout.write(`${scenario.name}: ${WARMUP_SECONDS}s warm-up + ${DURATION_SECONDS}s…\n`);
      const load = await runLoad({
        url: `${base}${scenario.path}`,
        headers: scenario.headers,
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_SECONDS,
        durationSeconds: DURATION_SECONDS,
        expectBody: first.body,
      });
      const failed = load.errors + load.timeouts + load.non2xx + load.mismatches;
      if (failed > 0) throw new Error(`${scenario.name}: ${failed} failed or unexpected responses`);
      results.push({ name: scenario.name, bodyBytes: Buffer.byteLength(first.body), load });
    }

    // The query behind a page, without the storefront's one-second page cache: videos.list through
    // the in-process caller (its own RLS transaction), one call at a time, four searches in turn,
    // over the tenant's 1,000 videos.
    const queries = [
      ['sauces', 'price_asc', 3],
      ['knife', 'title', 1],
      ['lesson 09', 'newest', 1],
      ['cooking', 'price_desc', 20],
    ] as const;
    const queryMs: number[] = [];
    for (let i = 0; i < QUERY_CALLS; i++) {
      const [q, sort, page] = queries[i % queries.length]!;
      const started = performance.now();
      await viewer.api.videos.list({ q, sort, page });
      queryMs.push(performance.now() - started);
    }

    printTable(
      `Storefront SSR, ${VIDEOS} ready videos in the tenant: ${CONNECTIONS} connections, ${DURATION_SECONDS}s ` +
        `after ${WARMUP_SECONDS}s warm-up; load generator in a child process; target p99 < ${TARGET_P99_MS} ms`,
      ['scenario', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'body B', 'p99 target'],
      results.map((r) => [
        r.name,
        round(r.load.requestsPerSecond, 0),
        r.load.latencyMs.p50,
        r.load.latencyMs.p90,
        r.load.latencyMs.p99,
        r.load.latencyMs.max,
        r.bodyBytes,
        r.name.startsWith('floor') ? '—' : r.load.latencyMs.p99 < TARGET_P99_MS ? 'met' : 'MISSED',
      ]),
    );
    process.stdout.write(`first view after start: ${round(cold.ms, 1)} ms\n`);
    const query = {
      calls: QUERY_CALLS,
      p50: round(percentile(queryMs, 50), 2),
      p99: round(percentile(queryMs, 99), 2),
      max: round(Math.max(...queryMs), 2),
    };
    process.stdout.write(
      `videos.list search over ${VIDEOS} videos, uncached, ${QUERY_CALLS} sequential calls: ` +
        `p50 ${query.p50} ms, p99 ${query.p99} ms, max ${query.max} ms\n`,
    );
    await writeResult('storefront', {
      config: {
        videos: VIDEOS,
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_SECONDS,
        durationSeconds: DURATION_SECONDS,
        loadGenerator: 'autocannon in a forked child process',
        databasePoolMax: POOL_MAX,
        targetP99Ms: TARGET_P99_MS,
      },
      coldFirstViewMs: round(cold.ms, 1),
      videosListSearchMs: query,
      scenarios: results.map((r) => ({ name: r.name, bodyBytes: r.bodyBytes, ...r.load })),
    });
  } finally {
    await hub.close();
    await orm.close(true);
    await harness.close();
  }
}

await main();
