export { createSecretBox, type SecretBox } from './secret-box.js';
export {
  matchTotpStep,
  newTotpSecret,
  normalizeTotpCode,
  totpCodeAt,
  totpUri,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  TOTP_WINDOW,
  type TotpEnrolment,
} from './totp.js';
export { newRecoveryCodes, normalizeRecoveryCode, recoveryCodeHashes, RECOVERY_CODE_COUNT } from './recovery-codes.js';
export { qrSvg } from './qr.js';
export { relyingPartyOf, type RelyingParty } from './relying-party.js';
