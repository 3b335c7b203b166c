export { ROLES, ASSIGNABLE_ROLES, isRole, isAssignableRole, type Role, type AssignableRole } from './roles.js';
export {
  PRINCIPAL_KINDS,
  ANONYMOUS_PRINCIPAL,
  sessionPrincipal,
  userApiKeyPrincipal,
  systemApiKeyPrincipal,
  adminSecretPrincipal,
  isAdmin,
  isSystemPrincipal,
  isViewer,
  isApiKeyPrincipal,
  type AnonymousPrincipal,
  type Principal,
  type PrincipalKind,
} from './principal.js';
export { DECISIONS, decisionError, enforce, type Decision, type PolicyRule } from './decision.js';
export { ACTIONS, isAction, type Action, type ActionTarget, type PermissionTarget } from './actions.js';
export { decide, can, explain } from './permissions.js';
export {
  BUILT_IN_ADMIN_ROUTES,
  BUILT_IN_SELF_SERVICE_ROUTES,
  BUILT_IN_API_KEY_ROUTES,
  GATEHOUSE_ADMIN_ROUTES,
  GATEHOUSE_SELF_SERVICE_ROUTES,
  PHOENIX_ROUTE_PRESET,
  NO_ROUTE_PRESET,
  ROUTE_PRESETS,
  normaliseRoutePattern,
  type RoutePreset,
  type RoutePresetName,
} from './routes.js';
export { createRestPolicy, decideRest, explainRest, type RestPolicy, type RestPolicyOptions } from './rest.js';
