import { verifySiwe } from '@ppv/chain';
import { SiweNonceEntity, UniqueConstraintViolationException, UserEntity, WalletEntity } from '@ppv/db';
import type { AuthInfo, CookieWriter, RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { randomAlphanumeric } from '../../lib/crypto';
import { recordAudit } from '../audit/record-audit';
import { startSession } from '../auth/start-session';

export const NONCE_TTL_MINUTES = 10;

/** A single-use nonce for an EIP-4361 message, with the domain and chain the message must name. */
export async function createSiweNonce(
  deps: TenantDeps,
  req: RequestMeta,
): Promise<{ nonce: string; domain: string; chainId: number; expiresAt: Date }> {
  const { config } = deps;
  const now = deps.clock();
  const nonce = deps.em.create(SiweNonceEntity, {
    nonce: randomAlphanumeric(24),
    tenantId: deps.tenantId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + NONCE_TTL_MINUTES * 60_000),
  });
  await deps.em.flush();
  return { nonce: nonce.nonce, domain: req.host, chainId: config.chainId, expiresAt: nonce.expiresAt };
}

async function uniqueUsername(deps: TenantDeps, address: string): Promise<string> {
  for (let length = 8; length <= 40; length += 4) {
    const candidate = `w_${address.slice(2, 2 + length)}`;
    if (!(await deps.em.count(UserEntity, { username: candidate }))) return candidate;
  }
  throw new AppError('CONFLICT', 'Could not name the account for this wallet');
}

/**
 * Verifies a signed SIWE message (EOA, EIP-1271 and EIP-6492 wallets, through viem) for this tenant's
 * host and the configured chain, consumes its nonce, then signs in with the wallet (creating a
 * wallet-only account on first use) or links it to the signed-in account.
 */
export async function verifySiweSignIn(
  deps: TenantDeps,
  input: {
    message: string;
    signature: string;
    link: boolean;
    auth: AuthInfo | null;
    req: RequestMeta;
    cookies: CookieWriter;
  },
): Promise<{ userId: string; address: string; linked: boolean; created: boolean; csrfToken: string | null }> {
  if (input.link && !input.auth)
    throw new AppError('UNAUTHORIZED', 'Sign in first to link a wallet to your account');
  if (!deps.chain)
    throw new AppError('PRECONDITION_FAILED', 'Sign-in with Ethereum is not configured on this hub');

  const now = deps.clock();
  const verdict = await verifySiwe({
    client: deps.chain.client,
    message: input.message,
    signature: input.signature,
    expectedDomain: input.req.host,
    expectedChainId: deps.chain.chainId,
    now,
  });
  if (!verdict.ok)
    throw new AppError(
      verdict.reason === 'bad_signature' ? 'UNAUTHORIZED' : 'BAD_REQUEST',
      `Sign-in message rejected: ${verdict.message}`,
    );

  const claimed = await deps.em.execute<{ nonce: string }[]>(
    'UPDATE siwe_nonces SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires_at > ? RETURNING nonce',
    [now, verdict.nonce, now],
  );
  if (claimed.length === 0) {
    const nonce = await deps.em.findOne(SiweNonceEntity, { nonce: verdict.nonce });
    if (nonce?.usedAt)
      throw new AppError('UNAUTHORIZED', 'This sign-in message was already used; request a new one');
    if (nonce) throw new AppError('UNAUTHORIZED', 'This sign-in message has expired; request a new one');
    throw new AppError('UNAUTHORIZED', 'Unknown nonce: request a new sign-in message from this site');
  }

  const address = verdict.address.toLowerCase();
  const wallet = await deps.em.findOne(WalletEntity, { address, chainId: deps.chain.chainId });
  if (input.link && input.auth) {
    if (wallet && wallet.userId !== input.auth.userId)
      throw new AppError(
        'CONFLICT',
        'This wallet is linked to another account: sign in with it to use that account, or unlink it there first',
      );
    if (!wallet)
      deps.em.create(WalletEntity, { userId: input.auth.userId, address, chainId: deps.chain.chainId });
    recordAudit(deps.em, {
      tenantId: deps.tenantId,
      actorUserId: input.auth.userId,
      action: 'wallet.linked',
      subject: address,
      ip: input.req.ip,
    });
    return { userId: input.auth.userId, address, linked: true, created: false, csrfToken: null };
  }

  let userId = wallet?.userId;
  const created = !userId;
  if (!userId) {
    const user = deps.em.create(UserEntity, { username: await uniqueUsername(deps, address) });
    // The id is generated on flush: the wallet can only refer to the user after it.
    await deps.em.flush();
    deps.em.create(WalletEntity, { userId: user.id, address, chainId: deps.chain.chainId });
    await deps.em.flush().catch((error: unknown) => {
      // The same wallet's first sign-in racing in another request: the unique index decides.
      if (error instanceof UniqueConstraintViolationException) {
        throw new AppError(
          'CONFLICT',
          'This wallet was just signed in from another request; please try again',
        );
      }
      throw error;
    });
    userId = user.id;
  } else {
    const user = await deps.em.findOneOrFail(UserEntity, { id: userId });
    if (user.status !== 'active') throw new AppError('FORBIDDEN', 'This account is disabled');
  }
  const session = await startSession(deps, {
    userId,
    method: 'siwe',
    req: input.req,
    cookies: input.cookies,
  });
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: userId,
    action: 'auth.siwe_login',
    subject: address,
    ip: input.req.ip,
  });
  return { userId, address, linked: false, created, csrfToken: session.csrfToken };
}
