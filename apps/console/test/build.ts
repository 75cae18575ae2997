import { ensureStorefrontBuilt } from '@ppv/storefront';
import { ensureConsoleBuilt } from '../src/index';

/** Builds the console (and the storefront a new tenant is checked on) when missing or stale. */
export default async function setup(): Promise<void> {
  await ensureConsoleBuilt();
  await ensureStorefrontBuilt();
}
