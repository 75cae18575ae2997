import { z } from 'zod';
import { hubAdminProcedure, hubScopeProcedure, publicProcedure, roleProcedure, router } from '../../trpc';
import { listAudit } from '../audit/list-audit';
import { indexerRouter } from '../indexer/indexer.router';
import { hubUsersRouter } from '../users/users.router';
import { hubVideosRouter } from '../videos/videos.router';
import { createTenant } from './create-tenant';
import {
  adminTenant,
  getTenantSettings,
  listMembers,
  listTenants,
  publicTenant,
  setHostnames,
  setMemberRole,
  setUploadLimit,
  updateTenant,
  updateTenantById,
} from './manage-tenant';
import {
  createTenantInput,
  hubUpdateTenantInput,
  listMembersInput,
  setHostnamesInput,
  setRoleInput,
  setUploadLimitInput,
  updateTenantInput,
} from './tenants.schemas';

export const tenantRouter = router({
  /** Branding of the tenant this request is for. */
  current: publicProcedure.query(({ ctx }) => publicTenant(ctx.tenant)),
  settings: roleProcedure('tenant_admin').query(({ ctx }) => getTenantSettings(ctx.tx)),
  update: roleProcedure('tenant_admin')
    .input(updateTenantInput)
    .mutation(({ ctx, input }) => updateTenant(ctx.tx, { auth: ctx.auth, changes: input, ip: ctx.req.ip })),
  members: roleProcedure('tenant_admin')
    .input(listMembersInput)
    .query(({ ctx, input }) => listMembers(ctx.tx, input)),
  setRole: roleProcedure('tenant_admin')
    .input(setRoleInput)
    .mutation(({ ctx, input }) => setMemberRole(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  audit: roleProcedure('tenant_admin')
    .input(
      z.object({
        limit: z.number().int().min(1).max(200).default(50),
        before: z.string().regex(/^\d+$/).optional(),
      }),
    )
    .query(({ ctx, input }) => listAudit(ctx.tx, input)),
});

export const hubRouter = router({
  users: hubUsersRouter,
  videos: hubVideosRouter,
  indexer: indexerRouter,
  tenants: router({
    list: hubScopeProcedure.query(({ ctx }) => listTenants(ctx.tx)),
    create: hubAdminProcedure.input(createTenantInput).mutation(async ({ ctx, input }) => {
      const tenant = await createTenant(ctx.deps, input, ctx.auth.userId);
      return adminTenant(tenant, input.hostnames);
    }),
    /** Any tenant's branding, fee share, payout wallet, currency and embed origins. */
    update: hubScopeProcedure.input(hubUpdateTenantInput).mutation(({ ctx, input }) => {
      const { tenantId, ...changes } = input;
      return updateTenantById(ctx.tx, { auth: ctx.auth, tenantId, changes, ip: ctx.req.ip });
    }),
    setHostnames: hubScopeProcedure
      .input(setHostnamesInput)
      .mutation(({ ctx, input }) => setHostnames(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
    /** A tenant's own upload limit in bytes (1 MiB … 1 TiB), or null for the hub-wide MAX_UPLOAD_BYTES. */
    setUploadLimit: hubScopeProcedure
      .input(setUploadLimitInput)
      .mutation(({ ctx, input }) => setUploadLimit(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  }),
});
