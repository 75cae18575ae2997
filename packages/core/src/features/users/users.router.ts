import { hubScopeProcedure, router } from '../../trpc';
import { listUsers } from './list-users';
import { listUsersInput } from './users.schemas';

/** `hub.users.*`: the hub's accounts across tenants, for hub administrators. */
export const hubUsersRouter = router({
  list: hubScopeProcedure.input(listUsersInput).query(({ ctx, input }) => listUsers(ctx.em, input)),
});
