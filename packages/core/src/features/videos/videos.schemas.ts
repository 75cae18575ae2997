import { z } from 'zod';

export const videoMetadataFields = {
  title: z.string().trim().min(1, 'Give the video a title').max(200, 'Title must be at most 200 characters'),
  description: z.string().trim().max(5000, 'Description must be at most 5,000 characters').default(''),
  priceCents: z
    .number('Price is a whole number of US cents')
    .int('Price is a whole number of US cents')
    .min(0, 'Price cannot be negative')
    .max(100_000_00, 'Price cannot exceed $100,000'),
  previewSeconds: z
    .number()
    .int('Preview is a whole number of seconds')
    .min(0, 'Preview cannot be negative')
    .max(600, 'Preview is at most 600 seconds')
    .default(0),
};

/** What a creator declares before the bytes are accepted (tus upload metadata). */
export const videoMetadataInput = z.object(videoMetadataFields);

export const updateVideoInput = z.object({
  videoId: z.uuid('Unknown video id'),
  title: videoMetadataFields.title.optional(),
  description: z.string().trim().max(5000, 'Description must be at most 5,000 characters').optional(),
  priceCents: videoMetadataFields.priceCents.optional(),
  previewSeconds: z.number().int().min(0).max(600, 'Preview is at most 600 seconds').optional(),
  /** A purchase grants this many hours of access (a rental); null: for good. */
  rentalHours: z
    .number()
    .int('Rental period is whole hours')
    .min(1, 'Rental period is at least 1 hour')
    .max(8760, 'Rental period is at most 8,760 hours (a year)')
    .nullable()
    .optional(),
});

export const videoIdInput = z.object({ videoId: z.uuid('Unknown video id') });

export const listVideosInput = z.object({
  scope: z.enum(['catalog', 'mine', 'all']).default('catalog'),
  limit: z.number().int().min(1).max(100).default(24),
  offset: z.number().int().min(0).default(0),
});

export const allowlistInput = z.object({
  videoId: z.uuid('Unknown video id'),
  /** Username, email address or 0x wallet address of the person to grant. */
  who: z.string().trim().toLowerCase().min(3, 'Name a username, email or wallet').max(254),
});

export type VideoMetadata = z.infer<typeof videoMetadataInput>;
