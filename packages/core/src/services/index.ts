export { silentLogger, type Logger, type ServiceDeps } from './deps.js';
export { authorize, requireActor } from './authorize.js';
export { DEFAULT_ADMIN, SYSTEM_USER, isDefaultAdmin, isSystemUser } from './well-known-users.js';
export { bootstrap, type BootstrapResult } from './bootstrap.js';
export {
  absoluteSessionEnd,
  boundedUserAgent,
  checkPassword,
  issueSession,
  MAX_USER_AGENT_LENGTH,
  logoutUser,
  recordSignIn,
  recordSignInFailure,
  refreshSession,
  refreshTokenOwner,
  revokeSession,
  signOut,
  userIdFromRefreshToken,
  type IssuedSession,
  type IssueSessionOptions,
  type PasswordLoginClient,
} from './sessions.js';
export {
  endSessionsExcept,
  listOwnSessions,
  listUserSessions,
  revokeOtherSessions,
  revokeOwnSession,
  revokeUserSessions,
  type SessionView,
} from './session-list.js';
export { endIdpSessions, type IdpLogoutNotice, type IdpLogoutOutcome } from './idp-logout.js';
export { login, passwordLogin, type PasswordLoginOutcome } from './login.js';
export {
  beginPasskeyRegistration,
  beginPasskeySignIn,
  finishPasskeyRegistration,
  finishPasskeySignIn,
  listPasskeys,
  relyingParty,
  removePasskey,
  renamePasskey,
  type WebauthnCeremony,
} from './passkeys.js';
export {
  beginEnrolmentAtLogin,
  beginPasskeyAtLogin,
  beginTotpEnrolment,
  completeMfaLogin,
  confirmEnrolmentAtLogin,
  confirmTotpEnrolment,
  getMfaStatus,
  hasSecondFactor,
  mfaRequiredFor,
  regenerateRecoveryCodes,
  removeTotp,
  resetUserMfa,
  startMfaChallenge,
  type EnrolledLogin,
  type MfaChallenge,
  type MfaLogin,
  type MfaStatus,
  type SecondFactorInput,
  type SecondFactorMethod,
  type TotpEnrolmentStart,
} from './mfa.js';
export { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from './login-lockout.js';
export {
  createUser,
  deleteUser,
  getUser,
  listUsers,
  normalizeUsername,
  recordUserCreated,
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
export {
  defaultWelcomeMail,
  sendWelcomeMail,
  type SendWelcomeMailOptions,
  type WelcomeMailContent,
} from './welcome-mail.js';
export type { BackgroundWork } from './background.js';
export { listAuditEvents, type AuditEventFilter, type AuditEventPage } from './audit-events.js';
