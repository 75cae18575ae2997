import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const b64url = (buf: Buffer): string => buf.toString('base64url');

export function fromB64url(value: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return null;
  return Buffer.from(value, 'base64url');
}

export const sha256 = (value: Buffer | string): Buffer => createHash('sha256').update(value).digest();

export const hmac = (secret: string, value: Buffer | string): Buffer =>
  createHmac('sha256', secret).update(value).digest();

export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A random secret of `bytes` bytes, base64url-encoded. */
export const randomToken = (bytes = 32): string => b64url(randomBytes(bytes));

/** Letters and digits only (SIWE nonces must be alphanumeric). */
export function randomAlphanumeric(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (const byte of bytes) {
    if (byte < 248) out += alphabet[byte % 62];
    if (out.length === length) return out;
  }
  return out + randomAlphanumeric(length - out.length);
}
