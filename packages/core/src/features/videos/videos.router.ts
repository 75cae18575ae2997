import { hubScopeProcedure, publicProcedure, roleProcedure, router } from '../../trpc';
import { listHubVideos } from './list-hub-videos';
import {
  deleteVideo,
  getVideo,
  grantAccess,
  listAccess,
  listVideos,
  revokeAccess,
  updateVideo,
} from './manage-videos';
import { hideVideo, publishVideo, restoreVideo, unpublishVideo } from './moderate-video';
import { setPosterFrame } from './set-poster';
import {
  allowlistInput,
  hideVideoInput,
  listHubVideosInput,
  listVideosInput,
  posterFrameInput,
  updateVideoInput,
  videoIdInput,
} from './videos.schemas';

export const videosRouter = router({
  list: publicProcedure
    .input(listVideosInput)
    .query(({ ctx, input }) => listVideos(ctx.tx, { ...input, auth: ctx.auth })),
  get: publicProcedure
    .input(videoIdInput)
    .query(({ ctx, input }) => getVideo(ctx.tx, { auth: ctx.auth, videoId: input.videoId })),
  update: roleProcedure('creator')
    .input(updateVideoInput)
    .mutation(({ ctx, input }) => {
      const { videoId, ...changes } = input;
      return updateVideo(ctx.tx, { auth: ctx.auth, videoId, changes, ip: ctx.req.ip });
    }),
  delete: roleProcedure('creator')
    .input(videoIdInput)
    .mutation(async ({ ctx, input }) => {
      await deleteVideo(ctx.tx, { auth: ctx.auth, videoId: input.videoId, ip: ctx.req.ip });
      return { ok: true as const };
    }),
  unpublish: roleProcedure('creator')
    .input(videoIdInput)
    .mutation(({ ctx, input }) => unpublishVideo(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  publish: roleProcedure('creator')
    .input(videoIdInput)
    .mutation(({ ctx, input }) => publishVideo(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  /** The poster becomes a frame of the video (a job); an image is uploaded to /api/v1/videos/:id/poster. */
  setPosterFrame: roleProcedure('creator')
    .input(posterFrameInput)
    .mutation(({ ctx, input }) => setPosterFrame(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  /** Moderation: a tenant admin hides a video (with the reason) or restores it. */
  hide: roleProcedure('tenant_admin')
    .input(hideVideoInput)
    .mutation(({ ctx, input }) => hideVideo(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  restore: roleProcedure('tenant_admin')
    .input(videoIdInput)
    .mutation(({ ctx, input }) => restoreVideo(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  access: router({
    list: roleProcedure('creator')
      .input(videoIdInput)
      .query(({ ctx, input }) => listAccess(ctx.tx, { auth: ctx.auth, videoId: input.videoId })),
    grant: roleProcedure('creator')
      .input(allowlistInput)
      .mutation(({ ctx, input }) => grantAccess(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
    revoke: roleProcedure('creator')
      .input(allowlistInput)
      .mutation(async ({ ctx, input }) => {
        await revokeAccess(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip });
        return { ok: true as const };
      }),
  }),
});

/** `hub.videos.*`: every tenant's videos, for hub administrators. */
export const hubVideosRouter = router({
  list: hubScopeProcedure.input(listHubVideosInput).query(({ ctx, input }) => listHubVideos(ctx.em, input)),
});
