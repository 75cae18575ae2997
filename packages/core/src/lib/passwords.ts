import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's recommended argon2id parameters: 19 MiB memory, 2 iterations, 1 lane. */
export const argon2Params = {
  algorithm: 2 as Algorithm.Argon2id, // const enum value of Argon2id
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export const hashPassword = (password: string): Promise<string> => hash(password, argon2Params);

// A real hash of a random password, verified against when the account does not exist, so that an
// unknown email costs the same time as a wrong password.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hashPassword(crypto.randomUUID());
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
