/** Host names typed one per line or separated by commas or spaces. */
export function listField(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A text field that may be left empty for "none". */
export function optionalField(text: FormDataEntryValue | null): string | null {
  const value = String(text ?? '').trim();
  return value === '' ? null : value;
}

export type Notice = { kind: 'ok' | 'error'; message: string } | null;

export const hubLinks = [
  { href: '/hub', text: 'Tenants' },
  { href: '/hub/users', text: 'Users' },
  { href: '/hub/videos', text: 'Videos' },
  { href: '/hub/health', text: 'Health' },
];

export const tenantLinks = [
  { href: '/tenant', text: 'Branding and fees' },
  { href: '/tenant/members', text: 'Members' },
  { href: '/tenant/videos', text: 'Videos' },
  { href: '/tenant/audit', text: 'Audit log' },
];
