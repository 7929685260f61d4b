import { idVisibility, scopeFilterFor } from '../../../shared/authz';
import { httpHandler } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';

const observability = createObservability('identity');

/** GET /me — the caller as the API sees it: role, organisation, data scope, ID visibility. */
export const handler = httpHandler({
  observability,
  roles: ['school', 'township', 'county', 'partner', 'ops'],
  handle: async ({ caller }) => ({
    role: caller.role,
    org: caller.org,
    subject: caller.sub,
    scope: scopeFilterFor(caller),
    idVisibility: idVisibility(caller),
  }),
});
