import type { Role, Tenant } from '@ppv/db';
import type { AppDeps } from './deps';

/** What the hub tells the core about the HTTP request. */
export interface RequestMeta {
  ip: string;
  userAgent?: string | undefined;
  /** Host header as sent (host[:port]), lower case. */
  host: string;
  secure: boolean;
  origin?: string | undefined;
  cookies: Record<string, string | undefined>;
  authorization?: string | undefined;
  csrfToken?: string | undefined;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  httpOnly: boolean;
}

/** How a procedure sets or clears cookies without knowing about express. */
export interface CookieWriter {
  set(name: string, value: string, options: CookieOptions): void;
  clear(name: string): void;
}

export interface Context {
  deps: AppDeps;
  tenant: Tenant;
  req: RequestMeta;
  cookies: CookieWriter;
}

export interface AuthInfo {
  userId: string;
  username: string;
  email: string | null;
  isHubAdmin: boolean;
  /** The user's role in the current tenant (hub admins act as tenant admins everywhere). */
  role: Role | null;
  via: 'session' | 'api_token';
  sessionId: string | null;
  apiTokenId: string | null;
}

export type AuthProblem = 'tampered' | 'expired' | 'revoked' | 'unknown' | 'disabled';
