import { videoSorts } from '@ppv/db';
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

export const MAX_SEARCH_LENGTH = 200;
export const MAX_LIST_PAGE = 10_000;

export const listVideosInput = z
  .object({
    scope: z.enum(['catalog', 'mine', 'all'], 'Scope is catalog, mine or all').default('catalog'),
    /** Substring of the title or description, case and accent blind. */
    q: z
      .string('Search is text')
      .trim()
      .max(MAX_SEARCH_LENGTH, `Search for at most ${MAX_SEARCH_LENGTH} characters`)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'Search cannot contain control characters')
      .optional(),
    sort: z.enum(videoSorts, `Sort by ${videoSorts.join(', ')}`).default('newest'),
    limit: z
      .number('Limit is a whole number from 1 to 100')
      .int('Limit is a whole number from 1 to 100')
      .min(1, 'Limit is a whole number from 1 to 100')
      .max(100, 'Limit is a whole number from 1 to 100')
      .default(24),
    /** 1-based page of `limit` videos; or give `offset`. */
    page: z
      .number('Page is a whole number from 1')
      .int('Page is a whole number from 1')
      .min(1, 'Page is a whole number from 1')
      .max(MAX_LIST_PAGE, `Page is at most ${MAX_LIST_PAGE}`)
      .optional(),
    offset: z
      .number('Offset is a whole number from 0')
      .int('Offset is a whole number from 0')
      .min(0, 'Offset is a whole number from 0')
      .max(1_000_000, 'Offset is at most 1,000,000')
      .optional(),
  })
  .refine((input) => input.page === undefined || input.offset === undefined, {
    message: 'Give page or offset, not both',
    path: ['page'],
  });

export type ListVideosInput = z.infer<typeof listVideosInput>;

export const listHubVideosInput = z.object({
  status: z
    .enum(['queued', 'processing', 'ready', 'error'], 'Status must be queued, processing, ready or error')
    .optional(),
  limit: z.number().int().min(1).max(100).default(50),
  offset: z.number().int().min(0).default(0),
});

export const allowlistInput = z.object({
  videoId: z.uuid('Unknown video id'),
  /** Username, email address or 0x wallet address of the person to grant. */
  who: z.string().trim().toLowerCase().min(3, 'Name a username, email or wallet').max(254),
});

export type VideoMetadata = z.infer<typeof videoMetadataInput>;

export const hideVideoInput = z.object({
  videoId: z.uuid('Unknown video id'),
  reason: z
    .string()
    .trim()
    .min(1, 'Say why the video is hidden (its creator is shown the reason)')
    .max(500, 'The reason is at most 500 characters'),
});

export const posterFrameInput = z.object({
  videoId: z.uuid('Unknown video id'),
  atSeconds: z
    .number('The frame time is a number of seconds')
    .min(0, 'The frame time cannot be negative')
    .max(86_400, 'The frame time is within the video'),
});
