import type { PageCaller } from '@ppv/hub';

export type MeView = NonNullable<Awaited<ReturnType<PageCaller['auth']['me']>>>;
