import { UserEntity, withTenant } from '@ppv/db';
import type { CookieWriter, RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { verifyPassword } from '../../lib/passwords';
import { recordAudit } from '../audit/record-audit';
import type { LoginInput } from './auth.schemas';
import { startSession } from './start-session';

const WRONG = 'Incorrect email/username or password';

/**
 * Email-or-username + password sign-in. An unknown account, a wrong password and a disabled account
 * get the same answer after the same work (an argon2 verification), so nothing can be enumerated.
 */
export async function login(
  deps: TenantDeps,
  input: LoginInput & { req: RequestMeta; cookies: CookieWriter },
): Promise<{ userId: string; csrfToken: string }> {
  const user = await deps.em.findOne(
    UserEntity,
    input.login.includes('@') ? { email: input.login } : { username: input.login },
    { populate: ['passwordHash'] },
  );
  const ok = await verifyPassword(user?.passwordHash, input.password);
  if (!user || !ok || user.status !== 'active') {
    if (user) {
      recordFailure(deps, user.id, input.req.ip);
    }
    throw new AppError('UNAUTHORIZED', WRONG);
  }
  const session = await startSession(deps, {
    userId: user.id,
    method: 'password',
    req: input.req,
    cookies: input.cookies,
  });
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: user.id,
    action: 'auth.login',
    subject: session.sessionId,
    ip: input.req.ip,
  });
  return { userId: user.id, csrfToken: session.csrfToken };
}

/**
 * Failed sign-ins are audited outside the request's transaction (which rolls back on the error),
 * and not awaited, so a known account answers no slower than an unknown one.
 */
function recordFailure(deps: TenantDeps, userId: string, ip: string): void {
  withTenant(deps.orm, deps.tenantId, async (em) =>
    recordAudit(em, {
      tenantId: deps.tenantId,
      actorUserId: userId,
      action: 'auth.login_failed',
      subject: userId,
      ip,
    }),
  ).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not audit a failed sign-in'));
}
