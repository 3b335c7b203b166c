export { assertValidEmail, isValidEmail, sanitizeEmail } from './email.js';
export { assertValidPassword, passwordProblems, type PasswordPolicy } from './password-policy.js';
export {
  createArgon2Hasher,
  DEFAULT_ARGON2_PARAMS,
  type Argon2Hasher,
  type Argon2HasherOptions,
  type Argon2Params,
  type Argon2Threading,
  type PasswordHasher,
} from './password-hasher.js';
export { timingSafeEqualString } from './constant-time.js';
export { randomId, randomPassword, randomToken } from './random.js';
export {
  createBoundedHasher,
  DEFAULT_HASH_QUEUE,
  defaultHashConcurrency,
  type BoundedPasswordHasher,
  type HashingBurst,
  type HashingLimits,
  type HashingStats,
} from './bounded-hasher.js';
