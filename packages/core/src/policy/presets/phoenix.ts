import type { RoutePreset } from '../routes.js';

/**
 * The `phoenix` route preset: Phoenix's own host routes that carry a role rule, so a server built as
 * a drop-in for Phoenix refuses them exactly as Phoenix does. Where it comes from: Arize Phoenix
 * 20.3's REST v1 routers (`src/phoenix/server/api/routers/v1/`, `projects.py` and the secrets
 * router), which put `require_admin` on `PUT`/`DELETE /v1/projects/{id}` and `PUT /v1/secrets`, and
 * leave `POST /v1/chat/completions` outside the viewer rule (viewers may call it). Phoenix's own
 * tests list the same routes (`tests/integration/_helpers.py`: the admin-only operations and the
 * viewer-allowed writes). The routes Gatehouse serves itself (`/v1/users`, the API keys) are not
 * here: they are enforced whichever preset is active (`routes.ts`).
 *
 * On by default; another app turns it off with `restPolicy: { preset: 'none' }` (docs/permissions.md).
 */
export const PHOENIX_ROUTE_PRESET: RoutePreset = Object.freeze({
  name: 'phoenix',
  adminRoutes: Object.freeze(['PUT /v1/projects/{id}', 'DELETE /v1/projects/{id}', 'PUT /v1/secrets']),
  selfServiceRoutes: Object.freeze(['POST /v1/chat/completions']),
  authRequiredRoutes: Object.freeze([]),
});
