/** Hides the password of a connection URL so it can be logged. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.searchParams.forEach((_v, k) => {
      if (/pass|secret|key|token/i.test(k)) parsed.searchParams.set(k, '***');
    });
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}

/** Paths pino removes from every log line. */
export const redactPaths = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'secret',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'config.DATABASE_URL',
  'config.SESSION_SECRET',
  'config.SMTP_URL',
  'config.MEDIA_MASTER_KEY',
  'config.PLAYBACK_SIGNING_KEYS',
  'config.INVOICE_SIGNER_KEY',
  'config.RELAYER_KEY',
];
