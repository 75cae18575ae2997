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
  { href: '/hub/payments', text: 'Payments' },
  { href: '/hub/earnings', text: 'Earnings' },
  { href: '/hub/rates', text: 'Token rates' },
];

export const tenantLinks = [
  { href: '/tenant', text: 'Branding and fees' },
  { href: '/tenant/members', text: 'Members' },
  { href: '/tenant/videos', text: 'Videos' },
  { href: '/tenant/audit', text: 'Audit log' },
  { href: '/tenant/payments', text: 'Payments' },
  { href: '/tenant/earnings', text: 'Earnings' },
  { href: '/tenant/rates', text: 'Currency rate' },
];

export const studioLinks = [
  { href: '/studio', text: 'My videos' },
  { href: '/studio/earnings', text: 'Earnings' },
  { href: '/studio/watching', text: 'Watching now' },
];

export interface BrandingChanges {
  name: string;
  logoUrl: string | null;
  primaryColor: string;
  accentColor: string;
  feeBps: number;
  payoutWallet: string | null;
  displayCurrency: string;
  displayRate: string;
  corsOrigins: string[];
}

/** The branding form's fields for `tenant.update` / `hub.tenants.update`, or what is wrong with them. */
export function brandingChanges(form: FormData): { changes: BrandingChanges } | { error: string } {
  const feeText = String(form.get('feeBps') ?? '').trim();
  if (!/^\d{1,5}$/.test(feeText)) return { error: 'The fee is a whole number of basis points (100 = 1%).' };
  return {
    changes: {
      name: String(form.get('name') ?? ''),
      logoUrl: optionalField(form.get('logoUrl')),
      primaryColor: String(form.get('primaryColor') ?? ''),
      accentColor: String(form.get('accentColor') ?? ''),
      feeBps: Number(feeText),
      payoutWallet: optionalField(form.get('payoutWallet')),
      displayCurrency: String(form.get('displayCurrency') ?? ''),
      displayRate: String(form.get('displayRate') ?? ''),
      corsOrigins: listField(String(form.get('corsOrigins') ?? '')),
    },
  };
}
