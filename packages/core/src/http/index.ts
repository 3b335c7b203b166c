export { parseBearer } from './bearer.js';
export {
  createAuthenticator,
  type AuthFailureReason,
  type AuthResult,
  type AuthenticatedPrincipal,
  type Authenticator,
  type AuthenticatorOptions,
  type Credentials,
} from './authenticate.js';
