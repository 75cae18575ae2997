import type { Env } from '@ppv/config';
import { AppError, createTenant, createUser } from '@ppv/core';
import { migrate } from '@ppv/db';
import { createDeps } from '../runtime';
import { withDatabase } from './database';

/** `ppv tenant create`. */
export async function tenantCreateCommand(
  env: Env,
  opts: {
    slug: string;
    name: string;
    host?: string[];
    admin?: string;
    fee?: string;
    currency?: string;
    rate?: string;
  },
): Promise<void> {
  await withDatabase(env, async (databaseUrl) => {
    await migrate(databaseUrl);
    const deps = await createDeps(env, { databaseUrl });
    try {
      const tenant = await createTenant(deps, {
        slug: opts.slug,
        name: opts.name,
        hostnames: opts.host ?? [],
        ...(opts.admin && { admin: opts.admin }),
        ...(opts.fee !== undefined && { feeBps: Number(opts.fee) }),
        ...(opts.currency && { displayCurrency: opts.currency }),
        ...(opts.rate && { displayRate: opts.rate }),
      });
      process.stdout.write(
        `Created tenant ${tenant.slug} (${tenant.id}): http://${tenant.slug}.${env.HUB_DOMAIN}\n`,
      );
    } finally {
      await deps.orm.close(true);
    }
  });
}

/** `ppv admin create`: a hub administrator. */
export async function adminCreateCommand(
  env: Env,
  opts: { username: string; email: string; password: string },
): Promise<void> {
  await withDatabase(env, async (databaseUrl) => {
    await migrate(databaseUrl);
    const deps = await createDeps(env, { databaseUrl });
    try {
      const user = await createUser(deps.orm.em.fork(), { ...opts, isHubAdmin: true });
      process.stdout.write(`Created hub admin ${user.username} (${user.id})\n`);
    } finally {
      await deps.orm.close(true);
    }
  });
}

export function describeError(error: unknown): string {
  if (error instanceof AppError) return error.message;
  if (error && typeof error === 'object' && 'issues' in error && Array.isArray(error.issues)) {
    return error.issues
      .map((i: { path: unknown[]; message: string }) => `${i.path.join('.') || 'input'}: ${i.message}`)
      .join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}
