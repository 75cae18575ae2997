import { z } from 'zod';
import { MAX_TENANT_UPLOAD_BYTES, MIN_TENANT_UPLOAD_BYTES } from '../videos/upload-metadata';

const reservedSlugs = new Set(['www', 'api', 'admin', 'hub', 'console', 'static', 'media', 'cdn', 'mail']);

export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'Slug must be 2–40 characters: lower-case letters, digits or dashes')
  .refine((s) => !reservedSlugs.has(s), 'That slug is reserved');

export const hostnameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/,
    'Enter a host name such as videos.example.com',
  );

const color = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^#[0-9a-f]{6}$/, 'Colours are hex values such as #6d28d9');

const originSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/,
    'An origin is scheme://host[:port] with no path, e.g. https://blog.example.com',
  );

export const brandingFields = {
  name: z.string().trim().min(1, 'Name is required').max(100, 'Name must be at most 100 characters'),
  logoUrl: z
    .string()
    .trim()
    .max(2000)
    .regex(/^(https?:\/\/|\/)\S+$/, 'Logo must be an http(s) URL or a path on this site')
    .nullable(),
  primaryColor: color,
  accentColor: color,
  feeBps: z
    .number()
    .int('Fee is whole basis points')
    .min(0, 'Fee cannot be negative')
    .max(10_000, 'Fee cannot exceed 10,000 basis points (100%)'),
  payoutWallet: z
    .string()
    .trim()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'Payout wallet must be a 0x-prefixed 20-byte address')
    .nullable(),
  displayCurrency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, 'Currency must be a 3-letter ISO code such as USD or IDR'),
  displayRate: z
    .string()
    .trim()
    .regex(/^\d{1,16}(\.\d{1,8})?$/, {
      message: 'Rate is a positive decimal: units of the display currency per US dollar',
      // A rate that is not a number has no other problem worth reporting.
      abort: true,
    })
    .refine((v) => Number(v) > 0, 'Rate must be greater than zero'),
  corsOrigins: z.array(originSchema).max(50, 'At most 50 origins'),
};

export const updateTenantInput = z.object(brandingFields).partial();

export const createTenantInput = z.object({
  slug: slugSchema,
  name: brandingFields.name,
  hostnames: z.array(hostnameSchema).max(20).default([]),
  feeBps: brandingFields.feeBps.optional(),
  payoutWallet: brandingFields.payoutWallet.optional(),
  displayCurrency: brandingFields.displayCurrency.optional(),
  displayRate: brandingFields.displayRate.optional(),
  /** Username or email of an existing user who becomes the tenant's admin. */
  admin: z.string().trim().toLowerCase().min(3).optional(),
});

/** A hub administrator's change to any tenant's branding, fee share and payout settings. */
export const hubUpdateTenantInput = z
  .object(brandingFields)
  .partial()
  .extend({ tenantId: z.uuid('Unknown tenant id') });

export const setHostnamesInput = z.object({ tenantId: z.uuid(), hostnames: z.array(hostnameSchema).max(20) });

export const setUploadLimitInput = z.object({
  tenantId: z.uuid('Unknown tenant id'),
  /** Bytes; null gives the tenant the hub-wide MAX_UPLOAD_BYTES again. */
  maxUploadBytes: z
    .number('The upload limit is a number of bytes, or null for the hub-wide limit')
    .int('The upload limit is a whole number of bytes')
    .min(MIN_TENANT_UPLOAD_BYTES, 'The upload limit must be at least 1 MiB (1048576 bytes)')
    .max(MAX_TENANT_UPLOAD_BYTES, 'The upload limit can be at most 1 TiB (1099511627776 bytes)')
    .nullable(),
});

export const listMembersInput = z.object({
  limit: z.number().int().min(1).max(100).default(50),
  offset: z.number().int().min(0).default(0),
});

export const setRoleInput = z.object({
  userId: z.uuid('Unknown user id'),
  role: z.enum(['viewer', 'creator', 'tenant_admin'], 'Role must be viewer, creator or tenant_admin'),
});

export type CreateTenantInput = z.input<typeof createTenantInput>;
export type UpdateTenantInput = z.infer<typeof updateTenantInput>;
