import { UniqueConstraintViolationException, UserEntity } from '@ppv/db';
import type { CookieWriter, RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { passwordWeakness } from '../../lib/password-policy';
import { hashPassword } from '../../lib/passwords';
import { recordAudit } from '../audit/record-audit';
import type { RegisterInput } from './auth.schemas';
import { startSession } from './start-session';

export async function register(
  deps: TenantDeps,
  input: RegisterInput & { req: RequestMeta; cookies: CookieWriter },
): Promise<{ userId: string; csrfToken: string }> {
  const weakness = passwordWeakness(input.password, input);
  if (weakness) throw new AppError('BAD_REQUEST', weakness, { field: 'password' });

  const taken = await deps.em.execute<{ field: string }[]>(
    `SELECT CASE WHEN lower(email) = ? THEN 'email' ELSE 'username' END AS field
       FROM users WHERE lower(email) = ? OR lower(username) = ?`,
    [input.email, input.email, input.username],
  );
  if (taken.some((t) => t.field === 'email'))
    throw new AppError('CONFLICT', 'That email address is already registered', { field: 'email' });
  if (taken.length) throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });

  const user = deps.em.create(UserEntity, {
    username: input.username,
    email: input.email,
    passwordHash: await hashPassword(input.password),
  });
  await deps.em.flush().catch((error: unknown) => {
    // Two registrations racing for the same name: the unique index decides.
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError('CONFLICT', 'That username or email address was just registered', {
        field: 'email',
      });
    }
    throw error;
  });
  const session = await startSession(deps, {
    userId: user.id,
    method: 'password',
    req: input.req,
    cookies: input.cookies,
  });
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: user.id,
    action: 'auth.register',
    subject: user.id,
    ip: input.req.ip,
  });
  return { userId: user.id, csrfToken: session.csrfToken };
}
