/**
 * tRPC overhead: req/s and latency of the authenticated `auth.me` query (session cookie, then API
 * token) on the real hub app and a real database, against a bare express route returning the same
 * JSON body on a separate express app in the same process. The load generator runs in a child
 * process (see lib/load.ts).
 */
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createUser } from '@ppv/core';
import { createHarness, PASSWORD, unique } from '@ppv/core/testing';
import { createOrm } from '@ppv/db';
import { startHub } from '@ppv/hub';
import express from 'express';
import { type LoadResult, type LoadSpec, runLoad } from './lib/load';
import { printTable, round, writeResult } from './lib/report';

const CONNECTIONS = 50;
const WARMUP_SECONDS = 3;
const DURATION_SECONDS = 10;
const POOL_MAX = 10;

interface Scenario {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** auth.me must answer with a user (else with null). */
  signedIn?: boolean;
}

interface Reply {
  status: number;
  body: string;
  setCookie: string[];
}

/** node:http rather than fetch, which replaces the Host header the tenant is resolved from. */
function call(
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const reply = {
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          setCookie: res.headers['set-cookie'] ?? [],
        };
        if (reply.status === 200) resolve(reply);
        else reject(new Error(`${init.method ?? 'GET'} ${url}: ${reply.status} ${reply.body}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const cookieHeader = (reply: Reply): string => reply.setCookie.map((c) => c.split(';')[0]!).join('; ');

async function main(): Promise<void> {
  const harness = await createHarness();
  // The harness pool is 5 connections; the hub gets the size `ppv start` uses (DATABASE_POOL_MAX).
  const orm = await createOrm({ url: harness.db.url, poolMax: POOL_MAX });
  const deps = { ...harness.deps, orm };
  const hub = await startHub({ deps, host: '127.0.0.1', port: 0, trustProxy: false });
  const bare = express();
  bare.disable('x-powered-by');
  let bareBody: unknown = null;
  bare.get('/me', (_req, res) => {
    res.json(bareBody);
  });
  const bareServer = bare.listen(0, '127.0.0.1');
  await once(bareServer, 'listening');
  const barePort = (bareServer.address() as AddressInfo).port;

  try {
    const tenant = await harness.tenant();
    const host = `${tenant.slug}.${deps.config.hubDomain}`;
    const username = unique('bench');
    await createUser(harness.db.orm.em.fork(), {
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
      isHubAdmin: false,
    });

    const json = { host, 'content-type': 'application/json' };
    const login = await call(`http://127.0.0.1:${hub.port}/trpc/auth.login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ login: username, password: PASSWORD }),
    });
    const cookie = cookieHeader(login);
    const csrf = /ppv_csrf=([^;]+)/.exec(cookie)?.[1];
    if (!cookie.includes('ppv_session=') || !csrf) throw new Error(`login set no session: ${cookie}`);
    const created = await call(`http://127.0.0.1:${hub.port}/trpc/apiTokens.create`, {
      method: 'POST',
      headers: { ...json, cookie, 'x-csrf-token': csrf },
      body: JSON.stringify({ name: 'bench' }),
    });
    const token = (JSON.parse(created.body) as { result: { data: { token: string } } }).result.data.token;

    const meUrl = `http://127.0.0.1:${hub.port}/trpc/auth.me`;
    const scenarios: Scenario[] = [
      { name: 'tRPC auth.me, session cookie', url: meUrl, headers: { host, cookie }, signedIn: true },
      {
        name: 'tRPC auth.me, API token',
        url: meUrl,
        headers: { host, authorization: `Bearer ${token}` },
        signedIn: true,
      },
      // Extra: the same stack without the session/token/user lookups (answers null).
      { name: 'tRPC auth.me, signed out', url: meUrl, headers: { host }, signedIn: false },
      { name: 'bare express JSON', url: `http://127.0.0.1:${barePort}/me`, headers: {} },
    ];

    const results: (Scenario & {
      bodyBytes: number;
      load: LoadResult;
      server: { cpuPercent: number; eventLoopUtilization: number };
    })[] = [];
    for (const scenario of scenarios) {
      const { body } = await call(scenario.url, { headers: scenario.headers });
      const me = scenario.url === meUrl ? (JSON.parse(body) as { result: { data: unknown } }) : null;
      if (me && !me.result.data !== !scenario.signedIn) {
        throw new Error(`${scenario.name}: unexpected answer ${body}`);
      }
      // The bare route answers with the body of the cookie case, so both send the same bytes.
      if (me?.result.data) bareBody ??= me;
      const spec: LoadSpec = {
        url: scenario.url,
        headers: scenario.headers,
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_SECONDS,
        durationSeconds: DURATION_SECONDS,
        expectBody: body,
      };
      process.stdout.write(`${scenario.name}: ${WARMUP_SECONDS}s warm-up + ${DURATION_SECONDS}s…\n`);
      let cpu = process.cpuUsage();
      let elu = performance.eventLoopUtilization();
      let started = performance.now();
      const load = await runLoad(spec, () => {
        cpu = process.cpuUsage();
        elu = performance.eventLoopUtilization();
        started = performance.now();
      });
      const usedCpu = process.cpuUsage(cpu);
      const server = {
        cpuPercent: round(((usedCpu.user + usedCpu.system) / 1000 / (performance.now() - started)) * 100, 0),
        eventLoopUtilization: round(performance.eventLoopUtilization(elu).utilization),
      };
      const failed = load.errors + load.timeouts + load.non2xx + load.mismatches;
      if (failed > 0) throw new Error(`${scenario.name}: ${failed} failed or unexpected responses`);
      results.push({ ...scenario, bodyBytes: Buffer.byteLength(body), load, server });
    }

    const bareRps = results.at(-1)!.load.requestsPerSecond;
    printTable(
      `tRPC overhead: ${CONNECTIONS} connections, ${DURATION_SECONDS}s each after ${WARMUP_SECONDS}s warm-up; load generator in a child process`,
      [
        'scenario',
        'req/s',
        'p50 ms',
        'p99 ms',
        'mean ms',
        'requests',
        'body B',
        'srv CPU%',
        'srv ELU',
        'bare/this',
      ],
      results.map((r) => [
        r.name,
        round(r.load.requestsPerSecond, 0),
        r.load.latencyMs.p50,
        r.load.latencyMs.p99,
        round(r.load.latencyMs.mean),
        r.load.totalRequests,
        r.bodyBytes,
        r.server.cpuPercent,
        r.server.eventLoopUtilization,
        round(bareRps / r.load.requestsPerSecond),
      ]),
    );
    await writeResult('trpc-overhead', {
      config: {
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_SECONDS,
        durationSeconds: DURATION_SECONDS,
        loadGenerator: 'autocannon in a forked child process',
        databasePoolMax: POOL_MAX,
        logLevel: 'silent',
      },
      scenarios: results.map((r) => ({
        name: r.name,
        bodyBytes: r.bodyBytes,
        ...r.load,
        server: r.server,
        overheadRatio: round(bareRps / r.load.requestsPerSecond, 3),
      })),
    });
  } finally {
    bareServer.close();
    bareServer.closeAllConnections();
    await hub.close();
    await orm.close(true);
    await harness.close();
  }
}

await main();
