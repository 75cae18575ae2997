export { ConfigError, type Env, envSchema, type PaymentToken, parseEnv, parseTestEnv } from './env';
export { createLogger, type Logger } from './logger';
export { redactPaths, redactUrl } from './redact';
