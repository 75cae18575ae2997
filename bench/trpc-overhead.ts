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
import { type LoadResult, runLoad } from './lib/load';
import { printTable, round, writeResult } from './lib/report';

const CONNECTIONS = 50;
const WARMUP_SECONDS = 3;
const DURATION_SECONDS = 10;
const ROUNDS = 3;
const LATER_WARMUP_SECONDS = 1;
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

interface Run {
  scenario: number;
  round: number;
  load: LoadResult;
  /** The hub process (the bare app is idle meanwhile, and vice versa) during the measured seconds. */
  server: { cpuPercent: number; eventLoopUtilization: number };
}

async function measure(
  scenario: Scenario & { body: string },
  warmupSeconds: number,
): Promise<Omit<Run, 'scenario' | 'round'>> {
  let cpu = process.cpuUsage();
  let elu = performance.eventLoopUtilization();
  let started = performance.now();
  const load = await runLoad(
    {
      url: scenario.url,
      headers: scenario.headers,
      connections: CONNECTIONS,
      warmupSeconds,
      durationSeconds: DURATION_SECONDS,
      expectBody: scenario.body,
    },
    () => {
      cpu = process.cpuUsage();
      elu = performance.eventLoopUtilization();
      started = performance.now();
    },
  );
  const used = process.cpuUsage(cpu);
  const failed = load.errors + load.timeouts + load.non2xx + load.mismatches;
  if (failed > 0) throw new Error(`${scenario.name}: ${failed} failed or unexpected responses`);
  return {
    load,
    server: {
      cpuPercent: round(((used.user + used.system) / 1000 / (performance.now() - started)) * 100, 0),
      eventLoopUtilization: round(performance.eventLoopUtilization(elu).utilization),
    },
  };
}

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

    const prepared: (Scenario & { body: string })[] = [];
    for (const scenario of scenarios) {
      const { body } = await call(scenario.url, { headers: scenario.headers });
      const me = scenario.url === meUrl ? (JSON.parse(body) as { result: { data: unknown } }) : null;
      if (me && !me.result.data !== !scenario.signedIn) {
        throw new Error(`${scenario.name}: unexpected answer ${body}`);
      }
      // The bare route answers with the body of the cookie case, so both send the same bytes.
      if (me?.result.data) bareBody ??= me;
      prepared.push({ ...scenario, body });
    }

    // Rounds interleave the scenarios, so a burst of other work on the machine hits one round of
    // each rather than all rounds of one scenario; the table shows the median round.
    const runs: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [index, scenario] of prepared.entries()) {
        const warmup = round === 1 ? WARMUP_SECONDS : LATER_WARMUP_SECONDS;
        process.stdout.write(
          `round ${round}/${ROUNDS}, ${scenario.name}: ${warmup}s warm-up + ${DURATION_SECONDS}s…\n`,
        );
        runs.push({ scenario: index, round, ...(await measure(scenario, warmup)) });
      }
    }

    const summary = prepared.map((scenario, index) => {
      const rounds = runs.filter((r) => r.scenario === index);
      const rps = rounds.map((r) => r.load.requestsPerSecond);
      // The middle round by req/s (the upper one of the two middle rounds for an even count).
      const mid = [...rounds].sort((a, b) => a.load.requestsPerSecond - b.load.requestsPerSecond)[
        rounds.length >> 1
      ]!;
      return { name: scenario.name, bodyBytes: Buffer.byteLength(scenario.body), rps, median: mid, rounds };
    });
    const bareRps = summary.at(-1)!.median.load.requestsPerSecond;
    printTable(
      `tRPC overhead: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_SECONDS}s ` +
        `(warm-up ${WARMUP_SECONDS}s, then ${LATER_WARMUP_SECONDS}s); load generator in a child process; ` +
        'median round, req/s of every round in brackets',
      [
        'scenario',
        'req/s',
        'rounds',
        'p50 ms',
        'p99 ms',
        'mean ms',
        'body B',
        'srv CPU%',
        'srv ELU',
        'bare/this',
      ],
      summary.map((s) => [
        s.name,
        round(s.median.load.requestsPerSecond, 0),
        `[${s.rps.map((v) => round(v, 0)).join(', ')}]`,
        s.median.load.latencyMs.p50,
        s.median.load.latencyMs.p99,
        round(s.median.load.latencyMs.mean),
        s.bodyBytes,
        s.median.server.cpuPercent,
        s.median.server.eventLoopUtilization,
        round(bareRps / s.median.load.requestsPerSecond),
      ]),
    );
    await writeResult('trpc-overhead', {
      config: {
        connections: CONNECTIONS,
        rounds: ROUNDS,
        warmupSeconds: WARMUP_SECONDS,
        laterWarmupSeconds: LATER_WARMUP_SECONDS,
        durationSeconds: DURATION_SECONDS,
        loadGenerator: 'autocannon in a forked child process',
        databasePoolMax: POOL_MAX,
        logLevel: 'silent',
      },
      scenarios: summary.map((s) => ({
        name: s.name,
        bodyBytes: s.bodyBytes,
        medianRequestsPerSecond: round(s.median.load.requestsPerSecond, 1),
        overheadRatio: round(bareRps / s.median.load.requestsPerSecond, 3),
        rounds: s.rounds.map((r) => ({ round: r.round, ...r.load, server: r.server })),
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
