import { z } from 'zod';

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,32}$/, 'Username must be 3–32 characters: letters, digits or underscores');

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Email is too long')
  .pipe(z.email('Enter a valid email address'));

export const passwordInput = z
  .string()
  .min(1, 'Enter a password')
  .max(256, 'Password must be at most 256 characters long');

export const registerInput = z.object({
  username: usernameSchema,
  email: emailSchema,
  password: passwordInput,
});

export const loginInput = z.object({
  /** Email address or username. */
  login: z.string().trim().toLowerCase().min(1, 'Enter your email or username').max(254),
  password: passwordInput,
});

export const forgotPasswordInput = z.object({ email: emailSchema });

export const resetPasswordInput = z.object({
  token: z.string().trim().min(10, 'This reset link is invalid').max(200, 'This reset link is invalid'),
  newPassword: passwordInput,
});

export const changePasswordInput = z.object({
  currentPassword: z.string().max(256).optional(),
  newPassword: passwordInput,
});

export const sessionIdInput = z.object({ sessionId: z.uuid('Unknown session id') });

export const walletAddressInput = z.object({
  address: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^0x[0-9a-f]{40}$/, 'address must be a 0x-prefixed 20-byte Ethereum address'),
});

export type RegisterInput = z.infer<typeof registerInput>;
export type LoginInput = z.infer<typeof loginInput>;
