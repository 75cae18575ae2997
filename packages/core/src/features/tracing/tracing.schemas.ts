import { z } from 'zod';

export const traceIdInput = z.object({ traceId: z.uuid('Unknown trace id') });

export const listTracesInput = z.object({ videoId: z.uuid('Unknown video id') });
