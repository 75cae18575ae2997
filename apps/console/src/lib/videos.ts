import type { HubOutputs } from '@ppv/sdk';

type Listed = HubOutputs['videos']['list']['videos'][number];

/**
 * A video as its creator and the tenant's admins see it: processing state included. The hub's
 * `mine` and `all` listings (and `videos.get` for a managed video) carry these fields, but the
 * router's inferred output type names only the public ones.
 */
export type StudioVideo = Listed & {
  progress: number;
  lastError: string | null;
  sourceFilename: string | null;
  sourceBytes: number | null;
  renditions: { name: string; width: number; height: number; bandwidth: number }[];
  readyAt: string | null;
  /** Hidden by a tenant admin (moderation), with the reason. */
  hidden: { at: string; reason: string } | null;
  /** Unpublished by its creator. */
  unpublishedAt: string | null;
};

export function isStudioVideo(v: Listed): v is StudioVideo {
  return 'progress' in v && typeof (v as { progress: unknown }).progress === 'number';
}

/** The studio rows of a listing. */
export function studioRows(videos: Listed[]): StudioVideo[] {
  return videos.filter(isStudioVideo);
}
