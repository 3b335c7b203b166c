import type { LdapConfig } from '../../config/index.js';
import type { Directory } from '../../ldap/directory.js';
import { ldapLogin } from '../../ldap/sign-in.js';
import { readJsonObject } from '../body.js';
import { noContent } from '../responses.js';
import { sessionCookies } from './auth-routes.js';
import type { RouteDefinition } from './context.js';

/** `POST /auth/ldap/login` (docs/phoenix-contract.md#ldap-login): the same cookies as password login. */
export function ldapRoutes(ldap: LdapConfig, directory: Directory): RouteDefinition[] {
  return [
    {
      method: 'POST',
      pattern: '/auth/ldap/login',
      kind: 'auth',
      async handler({ request, clientAddress, app }) {
        const body = await readJsonObject(request);
        const session = await ldapLogin(
          app.deps,
          ldap,
          directory,
          { username: body.username, password: body.password },
          { clientAddress, userAgent: request.headers.get('user-agent') },
        );
        return noContent(sessionCookies(app, session));
      },
    },
  ];
}
