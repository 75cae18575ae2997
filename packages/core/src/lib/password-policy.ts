const common = new Set([
  'password',
  'password1',
  'password123',
  'passw0rd',
  'qwerty123',
  'qwertyuiop',
  '1234567890',
  '12345678910',
  'iloveyou',
  'letmein123',
  'welcome123',
  'admin12345',
  'changeme',
]);

/**
 * Returns why a password is too weak, or null. At least 10 characters, and either 16+ characters
 * (a passphrase) or three of: lower case, upper case, digits, symbols. Never a common password or
 * one made of the username or email.
 */
export function passwordWeakness(
  password: string,
  context: { username?: string; email?: string | null } = {},
): string | null {
  if (password.length < 10) return 'Password must be at least 10 characters long';
  if (password.length > 256) return 'Password must be at most 256 characters long';
  const lower = password.toLowerCase();
  if (common.has(lower)) return 'That password is too common; choose another';
  const names = [context.username, context.email?.split('@')[0]].filter(
    (n): n is string => !!n && n.length >= 3,
  );
  if (names.some((n) => lower.includes(n.toLowerCase())))
    return 'Password must not contain your username or email';
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < 16 && classes < 3) {
    return 'Password needs three of: lower case, upper case, digits, symbols (or use 16+ characters)';
  }
  if (new Set(password).size < 4) return 'Password is too repetitive';
  return null;
}
