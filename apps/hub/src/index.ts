export { createHubApp, type HubOptions } from './app';
export { type RunningHub, startHub } from './server';
export type { PageCaller, PageHandler, Storefront, StorefrontLocals } from './routes/storefront';
