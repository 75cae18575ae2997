import { createHarness, type Harness } from '@ppv/core/testing';
import { type RunningHub, startHub } from '@ppv/hub';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeAccount } from './client';

let h: Harness;
let hub: RunningHub;

beforeAll(async () => {
  h = await createHarness();
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
});

afterAll(async () => {
  await hub?.close();
  await h?.close();
});

it('describes the account behind a real API token, over HTTP', async () => {
  const tenant = await h.tenant();
  const user = await h.signedIn(tenant, { role: 'creator' });
  const { token } = await user.api.apiTokens.create({ name: 'example' });
  expect(await describeAccount(hub.url, tenant.slug, token)).toBe(
    `${user.username} (creator) on ${tenant.name}, prices shown in USD`,
  );
});

it('error: a revoked token is refused with the reason', async () => {
  const tenant = await h.tenant();
  const user = await h.signedIn(tenant);
  const { token, id } = await user.api.apiTokens.create({ name: 'example' });
  await user.api.apiTokens.revoke({ tokenId: id });
  await expect(describeAccount(hub.url, tenant.slug, token)).rejects.toThrow('This API token was revoked');
});
