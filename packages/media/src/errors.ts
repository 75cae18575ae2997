/**
 * The closed set of ways media handling can fail. Callers map the input codes (everything but
 * `FFMPEG_MISSING` and `FFMPEG_FAILED`) to a 4xx with the message; the other two are server faults.
 */
export type MediaErrorCode =
  /** ffmpeg or ffprobe is not installed where configured or on PATH. */
  | 'FFMPEG_MISSING'
  /** ffmpeg exited with an error while working on media that had been probed as fine. */
  | 'FFMPEG_FAILED'
  /** Options given to a function of this package are invalid (a caller bug). */
  | 'BAD_OPTIONS'
  | 'EMPTY_FILE'
  /** Not a video container we accept, or ffprobe could not read it (corrupt, truncated, text…). */
  | 'NOT_MEDIA'
  | 'EXTENSION_MISMATCH'
  /** Media without a video stream (audio only, a subtitle file…). */
  | 'NO_VIDEO'
  | 'TOO_LARGE_DIMENSIONS'
  | 'TOO_LONG';

export class MediaError extends Error {
  constructor(
    readonly code: MediaErrorCode,
    message: string,
    /** The end of ffmpeg's stderr, for logs; never shown to users. */
    readonly stderrTail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaError';
  }
}
