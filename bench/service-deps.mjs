// The service dependencies the in-process benches build by hand (no HTTP, no createGatehouse): auth
// on, brute-force protection off, the default argon2 hasher, an in-process revocation channel, and
// no audit trail (the benches measure authentication, not the trail).
import {
  createArgon2Hasher,
  createLocalRevocationChannel,
  createMemoryRateLimitStore,
  createTokenCodec,
  discardAudit,
  parseAuthEnv,
  silentLogger,
  systemClock,
} from '../packages/core/dist/index.js';

export function benchServiceDeps(store, secret) {
  return {
    config: parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: secret,
      PHOENIX_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: 'true',
    }),
    store,
    revocations: createLocalRevocationChannel(),
    clock: systemClock,
    logger: silentLogger,
    mailer: null,
    hasher: createArgon2Hasher(),
    tokens: createTokenCodec({ secret }),
    rateLimits: createMemoryRateLimitStore(),
    audit: discardAudit,
  };
}
