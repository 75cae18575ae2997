import type { TraceRequest } from '@ppv/db';
import type { NoMatchReason } from '@ppv/media/watermark';

/** What a finished trace found: the leaking session, or why none is named. */
export type TraceFinding =
  | {
      verdict: 'match';
      sessionId: string;
      /** The session code shown in the player's overlay. */
      code: string;
      viewer: { id: string; username: string };
      tenant: { id: string; slug: string; name: string };
      /** When the session started (ISO 8601). */
      startedAt: string;
      /** 1 − the probability that an innocent session scores this high. */
      confidence: number;
      falseMatchProbability: number;
      bitsRecovered: number;
      bitErrors: number;
    }
  | {
      verdict: 'no_match';
      /** The tracer's reason, or NO_SESSIONS when nobody has watched the video yet. */
      reason: NoMatchReason | 'NO_SESSIONS';
      message: string;
    };

/** A trace request as the console shows it. */
export function traceView(t: TraceRequest) {
  return {
    id: t.id,
    videoId: t.videoId,
    requestedBy: t.requestedBy ?? null,
    filename: t.filename,
    bytes: Number(t.bytes),
    status: t.status,
    finding: t.status === 'done' ? ((t.result ?? null) as TraceFinding | null) : null,
    lastError: t.lastError ?? null,
    createdAt: t.createdAt,
    finishedAt: t.finishedAt ?? null,
  };
}
