export { createHubApp, type HubOptions } from './app';
export { type RunningHub, startHub } from './server';
