import { expect } from 'vitest';
import type { AuditEventInput } from '../../src/audit/events.js';
import { parseAuthEnv } from '../../src/config/index.js';
import { createArgon2Hasher } from '../../src/crypto/index.js';
import { createLocalRevocationChannel, createMemoryRateLimitStore } from '../../src/in-process/index.js';
import { isGatehouseError } from '../../src/errors/index.js';
import { createAuthenticator, type Authenticator } from '../../src/http/index.js';
import type { Principal } from '../../src/policy/index.js';
import type { AuthStore, MailMessage, Mailer } from '../../src/ports.js';
import { bootstrap, silentLogger, type ServiceDeps } from '../../src/services/index.js';
import { createTokenCodec } from '../../src/tokens/index.js';
import { createMemoryStore } from './memory-store.js';

export const SECRET = 'test-secret-0123456789-abcdefghijklmn';
export const ADMIN_SECRET = 'admin-secret-0123456789-abcdefghijklm';

export class FakeClock {
  constructor(public ms = Date.UTC(2026, 10, 28, 12, 0, 0)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export class RecordingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  failNext = false;
  send(message: MailMessage): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('SMTP down'));
    }
    this.sent.push(message);
    return Promise.resolve();
  }
  /** The reset token inside the last mail's link. */
  lastToken(): string {
    const mail = this.sent.at(-1);
    const match = mail && /token=([^"&\s]+)/.exec(mail.text);
    if (!match?.[1]) throw new Error('no reset link was sent');
    return decodeURIComponent(match[1]);
  }
}

export interface Harness {
  deps: ServiceDeps;
  /** Every audit event the services recorded, in order. */
  audit: AuditEventInput[];
  auth: Authenticator;
  clock: FakeClock;
  mailer: RecordingMailer;
  store: AuthStore;
  systemUserId: number;
}

/** Cheap argon2 parameters: these tests are about behaviour, not hash strength. */
export const fastHasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

export async function makeHarness(
  env: Record<string, string> = {},
  store: AuthStore = createMemoryStore(),
): Promise<Harness> {
  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: SECRET,
    PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
    PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'admin-initial',
    ...env,
  });
  const clock = new FakeClock();
  const mailer = new RecordingMailer();
  const revocations = createLocalRevocationChannel();
  const audit: AuditEventInput[] = [];
  const deps: ServiceDeps = {
    config,
    store,
    hasher: fastHasher,
    tokens: createTokenCodec({
      secret: config.secret ?? SECRET,
      previousSecrets: config.previousSecrets,
      now: clock.now,
    }),
    rateLimits: createMemoryRateLimitStore(),
    revocations,
    clock,
    mailer,
    logger: silentLogger,
    audit: { record: (event) => void audit.push(event) },
  };
  const { systemUserId } = await bootstrap(deps);
  const auth = createAuthenticator({ config, store, tokens: deps.tokens, revocations, clock, systemUserId });
  return { deps, audit, auth, clock, mailer, store, systemUserId };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Rejects with a GatehouseError of this code (and message, when given). */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isGatehouseError(error)) throw new Error(`expected a GatehouseError ${code}, got ${String(error)}`);
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toBe(message);
}

/** The principal a token authenticates as; throws when the harness's authenticator refuses it. */
export async function principalOf(h: Harness, token: string): Promise<Principal> {
  const result = await h.auth.authenticate(bearer(token));
  if (!result.ok) throw new Error(`token refused: ${result.reason}`);
  return result.principal;
}
