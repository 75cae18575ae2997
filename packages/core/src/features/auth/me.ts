import { findUserProfile, type Role } from '@ppv/db';
import type { AuthInfo, RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { csrfTokenFor } from './resolve-auth';

export interface MeView {
  id: string;
  username: string;
  email: string | null;
  hasPassword: boolean;
  isHubAdmin: boolean;
  role: Role | null;
  via: AuthInfo['via'];
  wallets: { address: string; chainId: number }[];
  /** For the x-csrf-token header of cookie-authenticated mutations; null with an API token. */
  csrfToken: string | null;
}

/** The signed-in user, their role here, linked wallets and the CSRF token; null when signed out. */
export async function me(
  deps: TenantDeps,
  input: { auth: AuthInfo | null; cookies: RequestMeta['cookies'] },
): Promise<MeView | null> {
  if (!input.auth) return null;
  const user = await findUserProfile(deps.em, input.auth.userId);
  if (!user) throw new AppError('NOT_FOUND', 'This account no longer exists');
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    hasPassword: user.hasPassword,
    isHubAdmin: user.isHubAdmin,
    role: input.auth.role,
    via: input.auth.via,
    wallets: user.wallets,
    csrfToken: csrfTokenFor(deps.config.sessionSecret, input.cookies),
  };
}
