export { silentLogger, type Logger, type ServiceDeps } from './deps.js';
export { authorize, requireActor } from './authorize.js';
export { DEFAULT_ADMIN, SYSTEM_USER, isDefaultAdmin, isSystemUser } from './well-known-users.js';
export { bootstrap, type BootstrapResult } from './bootstrap.js';
export {
  issueSession,
  login,
  logoutUser,
  refreshSession,
  refreshTokenOwner,
  revokeSession,
  userIdFromRefreshToken,
  type IssuedSession,
  type IssueSessionOptions,
} from './sessions.js';
export { endIdpSessions, type IdpLogoutNotice, type IdpLogoutOutcome } from './idp-logout.js';
export { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from './login-lockout.js';
export {
  createUser,
  deleteUser,
  getUser,
  listUsers,
  normalizeUsername,
  updateOwnProfile,
  updateUser,
  type AdminUserChange,
  type CreateUserInput,
  type OwnProfileChange,
  type UserPage,
} from './users.js';
export {
  createSystemApiKey,
  createUserApiKey,
  deleteSystemApiKey,
  deleteUserApiKey,
  listAllUserApiKeys,
  listOwnApiKeys,
  listSystemApiKeys,
  type ApiKeyPage,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from './api-keys.js';
export {
  defaultResetMail,
  requestPasswordReset,
  resetPassword,
  type RequestPasswordResetOptions,
  type ResetMailContent,
} from './password-reset.js';
export { defaultWelcomeMail, sendWelcomeMail, type SendWelcomeMailOptions, type WelcomeMailContent } from './welcome-mail.js';
export type { BackgroundWork } from './background.js';
