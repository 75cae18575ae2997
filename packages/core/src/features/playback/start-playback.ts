import { randomBytes } from 'node:crypto';
import { PlaybackSessionEntity, VideoEntity } from '@ppv/db';
import type { AuthInfo, RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError, notFound } from '../../errors';
import { randomAlphanumeric } from '../../lib/crypto';
import { canWatch } from '../access/can-watch';
import { recordAudit } from '../audit/record-audit';
import { signPlaybackToken } from './playback-token';
import { forgetPlaybackSession } from './playlist-authorization';

const SESSION_HOURS = 12;

export interface PlaybackStart {
  sessionId: string;
  masterUrl: string;
  token: string;
  expiresAt: Date;
  /** For the visible moving watermark drawn by the player. */
  overlay: { handle: string; code: string };
}

const denials = {
  sign_in_required: ['UNAUTHORIZED', 'Sign in to watch this video'],
  payment_required: ['PAYMENT_REQUIRED', 'This video is pay-per-view: buy a view to watch it'],
  blocked: ['FORBIDDEN', 'The creator of this video has blocked you'],
  not_ready: ['PRECONDITION_FAILED', 'This video is not ready to play yet'],
} as const;

export function tokenFor(deps: TenantDeps, session: { id: string; videoId: string; userId: string }) {
  const expiresAt = new Date(deps.clock().getTime() + deps.config.media.playbackTokenTtlSeconds * 1000);
  const token = signPlaybackToken(deps.config.media.playbackKeys, {
    sid: session.id,
    vid: session.videoId,
    uid: session.userId,
    tid: deps.tenantId,
    exp: Math.floor(expiresAt.getTime() / 1000),
  });
  return { token, expiresAt };
}

/**
 * Starts a playback session: checks access, enforces the cap on concurrent sessions per viewer
 * (ending the oldest when asked to), and returns the session's master playlist and a short-lived
 * token bound to viewer, video, session and tenant.
 */
export async function startPlayback(
  deps: TenantDeps,
  input: { auth: AuthInfo; videoId: string; endOldest: boolean; req: RequestMeta },
): Promise<PlaybackStart> {
  const video = await deps.em.findOne(VideoEntity, { id: input.videoId });
  if (!video) throw notFound('Video');
  const access = await canWatch(deps.em, input.auth.userId, video, deps.clock());
  if (!access.allowed) {
    const [code, message] = denials[access.reason];
    throw new AppError(code, message);
  }
  const now = deps.clock();
  const live = await deps.em.find(
    PlaybackSessionEntity,
    { userId: input.auth.userId, endedAt: null, expiresAt: { $gt: now } },
    { orderBy: { createdAt: 'asc' } },
  );
  const cap = deps.config.media.maxPlaybackSessions;
  if (live.length >= cap) {
    if (!input.endOldest) {
      throw new AppError(
        'CONFLICT',
        `You are already watching on ${live.length} screens (the limit is ${cap}); end one to start another`,
      );
    }
    for (const old of live.slice(0, live.length - cap + 1)) {
      old.endedAt = now;
      forgetPlaybackSession(old.id, now);
    }
  }
  const session = deps.em.create(PlaybackSessionEntity, {
    tenantId: deps.tenantId,
    videoId: video.id,
    userId: input.auth.userId,
    code: randomAlphanumeric(8)
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, 'X'),
    seed: randomBytes(32),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_HOURS * 3600_000),
    ip: input.req.ip || null,
    userAgent: input.req.userAgent?.slice(0, 400) ?? null,
  });
  await deps.em.flush();
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'playback.started',
    subject: session.id,
    ip: input.req.ip,
    details: { videoId: video.id, grant: access.grant },
  });
  const { token, expiresAt } = tokenFor(deps, session);
  return {
    sessionId: session.id,
    masterUrl: `/play/${session.id}/master.m3u8`,
    token,
    expiresAt,
    overlay: { handle: input.auth.username, code: session.code },
  };
}

/** A fresh token for a live session of the caller (long videos outlive one token). */
export async function refreshPlayback(deps: TenantDeps, input: { auth: AuthInfo; sessionId: string }) {
  const session = await deps.em.findOne(PlaybackSessionEntity, {
    id: input.sessionId,
    userId: input.auth.userId,
  });
  if (!session) throw notFound('Playback session');
  const now = deps.clock();
  if (session.endedAt) throw new AppError('CONFLICT', 'This playback session was ended; start a new one');
  if (session.expiresAt <= now)
    throw new AppError('CONFLICT', 'This playback session expired; start a new one');
  session.lastSeenAt = now;
  return tokenFor(deps, session);
}

export async function endPlayback(deps: TenantDeps, input: { auth: AuthInfo; sessionId: string }) {
  const session = await deps.em.findOne(PlaybackSessionEntity, {
    id: input.sessionId,
    userId: input.auth.userId,
  });
  if (!session) throw notFound('Playback session');
  session.endedAt ??= deps.clock();
  forgetPlaybackSession(session.id, session.endedAt);
}

export async function listPlaybackSessions(deps: TenantDeps, auth: AuthInfo) {
  const now = deps.clock();
  const rows = await deps.em.find(
    PlaybackSessionEntity,
    { userId: auth.userId, endedAt: null, expiresAt: { $gt: now } },
    { orderBy: { createdAt: 'desc' } },
  );
  return rows.map((s) => ({
    id: s.id,
    videoId: s.videoId,
    code: s.code,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
  }));
}
