import { type Logger, pino } from 'pino';
import type { Env } from './env';
import { redactPaths } from './redact';

export type { Logger };

export function createLogger(env: Pick<Env, 'LOG_LEVEL'>, name = 'ppv'): Logger {
  return pino({
    name,
    level: env.LOG_LEVEL,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.errWithCause },
  });
}
