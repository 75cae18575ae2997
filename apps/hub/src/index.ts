export { createHubApp, type HubOptions } from './app';
export type { PageCaller, PageHandler, Storefront, StorefrontLocals } from './routes/storefront';
export { type RunningHub, startHub } from './server';
