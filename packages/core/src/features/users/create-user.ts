import { type EntityManager, UniqueConstraintViolationException, UserEntity } from '@ppv/db';
import { AppError } from '../../errors';
import { passwordWeakness } from '../../lib/password-policy';
import { hashPassword } from '../../lib/passwords';

/** Creates an account directly (CLI, seeding). Self-service sign-up goes through `register`. */
export async function createUser(
  em: EntityManager,
  input: { username: string; email: string; password: string; isHubAdmin?: boolean },
): Promise<{ id: string; username: string }> {
  const weakness = passwordWeakness(input.password, input);
  if (weakness) throw new AppError('BAD_REQUEST', weakness, { field: 'password' });
  const user = em.create(UserEntity, {
    username: input.username.toLowerCase(),
    email: input.email.toLowerCase(),
    passwordHash: await hashPassword(input.password),
    isHubAdmin: input.isHubAdmin ?? false,
  });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError(
        'CONFLICT',
        `A user with username "${input.username}" or email "${input.email}" already exists`,
      );
    }
    throw error;
  }
  return { id: user.id, username: user.username };
}
