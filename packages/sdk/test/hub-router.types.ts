/**
 * Compile-time proof that the generated router types say what the hub's router says: `tsc` fails
 * when an input or output differs (the generated file is then stale: `npm run generate`). Mutual
 * assignability, because the generated types drop the ORM's nominal brands (Opt<string> is string).
 */
import type { AppRouter } from '@ppv/core';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { HubErrorShape, HubRouter } from '../src/generated/hub-router';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Paths<R> = { [K in keyof R]: R[K] extends Record<string, unknown> ? keyof R[K] : never };

export const sameInputs: Same<inferRouterInputs<HubRouter>, inferRouterInputs<AppRouter>> = true;
export const sameOutputs: Same<inferRouterOutputs<HubRouter>, inferRouterOutputs<AppRouter>> = true;
export const sameProcedures: Same<
  Paths<inferRouterOutputs<HubRouter>>,
  Paths<inferRouterOutputs<AppRouter>>
> = true;
export const sameErrors: Same<HubErrorShape, AppRouter['_def']['_config']['$types']['errorShape']> = true;
