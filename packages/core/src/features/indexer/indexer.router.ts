import { hubAdminProcedure, router } from '../../trpc';
import { indexerStatus } from './indexer-status';

/** Mounted under `hub.indexer`: the hub console's view of the chain indexer. */
export const indexerRouter = router({
  /** Head vs cursor, lag, last success and last error (the same as /healthz's `indexer`). */
  status: hubAdminProcedure.query(({ ctx }) => indexerStatus(ctx.deps, { em: ctx.em })),
});
