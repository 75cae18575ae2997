import { ensureStorefrontBuilt } from '../src/index';

/** Builds the storefront when its build is missing or older than its sources. */
export default async function setup(): Promise<void> {
  await ensureStorefrontBuilt();
}
