import { secretFingerprint, type AuthConfig } from '@gatehouse-auth/core';

/**
 * Rotating PHOENIX_SECRET without logging anybody out, step by step (docs/secret-rotation.md says
 * the same at more length). Each step is one deploy; every instance must have finished one step
 * before any starts the next, because an instance accepts only the secrets it has been given.
 */
export const ROTATION_STEPS: readonly string[] = Object.freeze([
  'Generate a new secret (at least 32 ASCII characters with a digit and a lower-case letter, e.g. `openssl rand -hex 32`).',
  'Stage it: keep PHOENIX_SECRET as it is and add the new secret to GATEHOUSE_PREVIOUS_SECRETS; roll this out to every instance. Every instance now accepts tokens of both; nothing is signed with the new one yet.',
  'Switch: set PHOENIX_SECRET to the new secret and GATEHOUSE_PREVIOUS_SECRETS to the old one; roll this out. New logins, refreshes and API keys are signed with the new secret; tokens of the old one still work.',
  'Wait until no session depends on the old secret: one PHOENIX_REFRESH_TOKEN_EXPIRY_MINUTES after the switch every active session has been refreshed (and so re-signed) or has ended.',
  'API keys are never re-signed: run `gatehouse list-api-keys --old-secrets` and replace each key it lists (create a new key, hand it over, delete the old one). Keys marked "not recorded" predate fingerprints: treat them as signed by the old secret.',
  'Retire: remove the old secret from GATEHOUSE_PREVIOUS_SECRETS and roll this out. Every token and API key it signed stops working at once (401 invalid_token).',
]);

export interface SecretRotationState {
  /** Fingerprint of PHOENIX_SECRET, or null when there is none yet. */
  readonly current: string | null;
  /** Fingerprints of GATEHOUSE_PREVIOUS_SECRETS, in order. */
  readonly previous: readonly string[];
}

/** Fingerprints only: they tell secrets apart without revealing them. */
export function rotationState(config: AuthConfig): SecretRotationState {
  return {
    current: config.secret === null ? null : secretFingerprint(config.secret),
    previous: config.previousSecrets.map(secretFingerprint),
  };
}
