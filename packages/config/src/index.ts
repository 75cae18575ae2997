export { ConfigError, type Env, envSchema, parseEnv, parseTestEnv } from './env';
export { createLogger, type Logger } from './logger';
export { redactPaths, redactUrl } from './redact';
