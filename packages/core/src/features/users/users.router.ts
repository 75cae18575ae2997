import { withHubScope } from '@ppv/db';
import { hubAdminProcedure, router } from '../../trpc';
import { listUsers } from './list-users';
import { listUsersInput } from './users.schemas';

/** `hub.users.*`: the hub's accounts across tenants, for hub administrators. */
export const hubUsersRouter = router({
  list: hubAdminProcedure
    .input(listUsersInput)
    .query(({ ctx, input }) => withHubScope(ctx.deps.orm, (em) => listUsers(em, input))),
});
