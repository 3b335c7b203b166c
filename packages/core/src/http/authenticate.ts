import type { AuthConfig } from '../config/index.js';
import { timingSafeEqualString } from '../crypto/index.js';
import { isGatehouseError } from '../errors/index.js';
import type { Principal, PrincipalKind } from '../policy/index.js';
import type {
  AccessTokenGrant,
  ApiKeyGrant,
  AuthMethod,
  AuthStore,
  Clock,
  RevocationChannel,
  RevocationEvent,
} from '../ports.js';
import { SYSTEM_USER } from '../services/well-known-users.js';
import { toGlobalId } from './global-id.js';
import type { TokenCodec } from '../tokens/index.js';
import { bearerCandidate, isBearerToken } from './bearer.js';
import { createTokenMap } from './token-map.js';
import { REVOCATION_ALL } from '../revocation/wire.js';

/**
 * A principal with what it was proven by; what the REST rule and the handlers receive. The user's
 * identity comes from the same store read as the credential and is kept current by the revocation
 * events (a role, username or e-mail change evicts the cached principal), so reading it costs nothing.
 * docs/principal.md lists the fields.
 */
export interface AuthenticatedPrincipal extends Principal {
  /** How the caller proved who it is (the credential's kind). */
  readonly kind: Exclude<PrincipalKind, 'anonymous'>;
  readonly userId: number;
  /** The user's id as the REST API speaks it (`VXNlcjoy` for user 2). */
  readonly userGlobalId: string;
  readonly username: string;
  /** Lower-cased, as stored. */
  readonly email: string;
  /** How the user signs in: `LOCAL` (password), `OAUTH2`, `LDAP`. */
  readonly authMethod: AuthMethod;
  /** Access-token id, API-key id, or 0 for the admin secret. */
  readonly credentialId: number;
  /** The login this access token belongs to; null for keys and the admin secret. */
  readonly sessionId: number | null;
  /** Epoch ms; null for keys without expiry and the admin secret. */
  readonly expiresAt: number | null;
}

export type AuthFailureReason = 'missing' | 'invalid' | 'expired' | 'revoked' | 'unavailable';

export type AuthResult =
  | { readonly ok: true; readonly principal: AuthenticatedPrincipal }
  | { readonly ok: false; readonly reason: AuthFailureReason };

/** Header values only: the hot path never converts a whole request. */
export interface Credentials {
  /** The `Authorization` header value, if any. */
  authorization?: string | null;
  /** The access-token cookie's value, if any. */
  accessTokenCookie?: string | null;
}

export interface AuthenticatorOptions {
  config: AuthConfig;
  store: AuthStore;
  tokens: TokenCodec;
  revocations: RevocationChannel;
  clock: Clock;
  /** The system user's id, from `bootstrap`; the admin secret acts as this user. */
  systemUserId: number;
  /** Verified credentials kept in memory; the least recently verified are dropped first. */
  maxCacheEntries?: number;
  /**
   * Upper bound on how long a verified credential is trusted without asking the store again. The
   * default (Infinity: until it expires) is right when every revocation reaches this process through
   * the revocation channel; set it when some cannot.
   *
   * > [!WARNING]
   * > With the default, a session or key revoked where this process does not hear it (another
   * > instance without a shared revocation channel, a direct database edit) keeps working here until
   * > the token expires.
   */
  maxCacheAgeMs?: number;
}

export interface Authenticator {
  authenticate(credentials: Credentials): Promise<AuthResult>;
  /**
   * The same answer without waiting, when memory alone decides it (no credential, a malformed
   * header, a cached credential, the admin secret); `undefined` when the store must be asked, which
   * `authenticate` then does. Lets adapters keep a synchronous handler on the hot path.
   */
  authenticateCached(credentials: Credentials): AuthResult | undefined;
  /** Drops cached credentials for a revocation; the channel subscription calls this for you. */
  evict(event: RevocationEvent): void;
  /** Number of cached credentials (for tests and metrics). */
  readonly size: number;
  close(): void;
}

interface CacheEntry {
  readonly result: AuthResult & { ok: true };
  /** Epoch ms after which the entry must not answer: the credential's expiry or the cache-age cap. */
  readonly staleAt: number;
  /** The credential's own expiry: past it the answer is "expired", not a store lookup. */
  readonly expiresAt: number | null;
}

const FAILURES: Record<AuthFailureReason, AuthResult> = {
  missing: Object.freeze({ ok: false, reason: 'missing' }),
  invalid: Object.freeze({ ok: false, reason: 'invalid' }),
  expired: Object.freeze({ ok: false, reason: 'expired' }),
  revoked: Object.freeze({ ok: false, reason: 'revoked' }),
  unavailable: Object.freeze({ ok: false, reason: 'unavailable' }),
};

const ACCEPTED_KINDS = ['access', 'api_key'] as const;

type Grant = AccessTokenGrant | ApiKeyGrant;

/** One store read that concurrent misses for the same credential share. */
interface SharedRead<G extends Grant = Grant> {
  /** The revocation generation when the read started: its answer may be cached only if it is still current. */
  readonly generation: number;
  /** Clock ms when the read started. */
  readonly startedAt: number;
  readonly grant: Promise<G | null>;
}

/**
 * How long a read in flight is shared. Far above a healthy read (well under a millisecond on
 * SQLite, one round trip on PostgreSQL), so sharing works under load; short enough that a read
 * stuck on a dead connection does not hold its credential's later misses until the store gives up.
 */
const SHARED_READ_MAX_AGE_MS = 1_000;

/**
 * The per-request gate (docs/phoenix-contract.md#cookies-and-bearer). A credential seen before is answered from memory with no
 * store round-trip, no signature check and no allocation; revocations published on the channel
 * evict at once. A miss verifies the JWT and reads one row (joined with the owner's current role).
 * If the store cannot answer, the request is refused ('unavailable'): fail closed.
 */
/** The user half of a principal, from the grant's one read (the cached path never reads again). */
function identityOf(
  grant: AccessTokenGrant | ApiKeyGrant,
): Pick<AuthenticatedPrincipal, 'userId' | 'role' | 'userGlobalId' | 'username' | 'email' | 'authMethod'> {
  return {
    userId: grant.userId,
    role: grant.role,
    userGlobalId: toGlobalId('User', grant.userId),
    username: grant.username,
    email: grant.email,
    authMethod: grant.authMethod,
  };
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { store, tokens, clock, systemUserId } = options;
  const adminSecret = options.config.adminSecret;
  const maxEntries = options.maxCacheEntries ?? 100_000;
  const maxAge = options.maxCacheAgeMs ?? Number.POSITIVE_INFINITY;

  const cache = createTokenMap<CacheEntry>();
  // Reverse indexes so one revocation finds every cached token it covers.
  const byUser = new Map<number, Set<string>>();
  const bySession = new Map<number, Set<string>>();
  const byApiKey = new Map<number, Set<string>>();
  // Bumped by every revocation: a lookup that started before one must not cache what it read.
  let generation = 0;

  const adminSecretResult: AuthResult | null = adminSecret
    ? Object.freeze({
        ok: true as const,
        principal: Object.freeze({
          kind: 'admin_secret' as const,
          userId: systemUserId,
          role: 'SYSTEM',
          // The system user's name and address cannot change (no route may modify that account).
          userGlobalId: toGlobalId('User', systemUserId),
          username: SYSTEM_USER.username,
          email: SYSTEM_USER.email,
          authMethod: 'LOCAL',
          credentialId: 0,
          sessionId: null,
          expiresAt: null,
        }),
      })
    : null;

  function index(map: Map<number, Set<string>>, id: number, token: string): void {
    let set = map.get(id);
    if (!set) map.set(id, (set = new Set()));
    set.add(token);
  }

  function unindex(map: Map<number, Set<string>>, id: number | null, token: string): void {
    if (id === null) return;
    const set = map.get(id);
    if (!set) return;
    set.delete(token);
    if (set.size === 0) map.delete(id);
  }

  function forget(token: string): void {
    const entry = cache.get(token);
    if (!entry) return;
    cache.delete(token);
    const p = entry.result.principal;
    unindex(byUser, p.userId, token);
    if (p.kind === 'session') unindex(bySession, p.sessionId, token);
    else unindex(byApiKey, p.credentialId, token);
  }

  function remember(token: string, principal: AuthenticatedPrincipal, now: number): AuthResult {
    const result = Object.freeze({ ok: true as const, principal: Object.freeze(principal) });
    const staleAt = Math.min(principal.expiresAt ?? Number.POSITIVE_INFINITY, now + maxAge);
    cache.set(token, { result, staleAt, expiresAt: principal.expiresAt });
    if (principal.userId !== null) index(byUser, principal.userId, token);
    if (principal.kind === 'session' && principal.sessionId !== null) index(bySession, principal.sessionId, token);
    else index(byApiKey, principal.credentialId, token);
    if (cache.size > maxEntries) {
      const oldest = cache.oldest();
      if (oldest !== undefined) forget(oldest);
    }
    return result;
  }

  function evictAll(set: Set<string> | undefined): void {
    if (!set) return;
    for (const token of [...set]) forget(token);
  }

  function evict(event: RevocationEvent): void {
    generation++;
    inFlight.clear();
    switch (event.type) {
      case 'user':
        evictAll(byUser.get(event.userId));
        break;
      case 'user_sessions': {
        const tokensOfUser = byUser.get(event.userId);
        if (tokensOfUser)
          for (const token of [...tokensOfUser])
            if (cache.get(token)?.result.principal.kind === 'session') forget(token);
        break;
      }
      case 'session':
        evictAll(bySession.get(event.sessionId));
        break;
      case 'api_key':
        evictAll(byApiKey.get(event.apiKeyId));
        break;
      case 'all':
        cache.clear();
        byUser.clear();
        bySession.clear();
        byApiKey.clear();
        break;
    }
  }

  const channel = options.revocations;
  const unsubscribe = channel.subscribe(evict);

  /**
   * Store reads in flight, by credential (`a:<id>` access token, `k:<id>` API key): concurrent misses
   * for one credential (a client's first burst, every client after a deploy or an `all` revocation)
   * share one read. Each caller still checks the row against its own token's claims and clock.
   * Cleared by every revocation, so a read that may predate one is never joined afterwards.
   */
  const inFlight = new Map<string, SharedRead>();

  function readGrant(kind: 'access', id: number, now: number): SharedRead<AccessTokenGrant>;
  function readGrant(kind: 'api_key', id: number, now: number): SharedRead<ApiKeyGrant>;
  function readGrant(kind: 'access' | 'api_key', id: number, now: number): SharedRead {
    const key = `${kind === 'access' ? 'a' : 'k'}:${id}`;
    const pending = inFlight.get(key);
    // A read older than the limit is not joined: one that hangs (until the store's own time-out)
    // must not hold every later miss of its credential with it. At most one new read per credential
    // per limit, so a slow store still sees a bounded number of reads.
    if (pending !== undefined && now - pending.startedAt < SHARED_READ_MAX_AGE_MS) return pending;
    const read: Promise<Grant | null> = kind === 'access' ? store.findAccessTokenGrant(id) : store.findApiKeyGrant(id);
    const entry: SharedRead = { generation, startedAt: now, grant: read };
    inFlight.set(key, entry);
    const done = () => {
      if (inFlight.get(key) === entry) inFlight.delete(key);
    };
    read.then(done, done);
    return entry;
  }

  async function lookup(token: string, fromCookie: boolean, now: number): Promise<AuthResult> {
    let claims;
    try {
      // Synchronous, in-process HMAC: a miss never waits on the libuv pool, where argon2 jobs queue.
      claims = tokens.verifySync(token, fromCookie ? 'access' : ACCEPTED_KINDS);
    } catch (error) {
      return isGatehouseError(error) && error.code === 'expired_token' ? FAILURES.expired : FAILURES.invalid;
    }
    const id = Number(claims.jti);
    const sub = Number(claims.sub);
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(sub)) return FAILURES.invalid;

    // The verified claims say what the token is; the row only confirms it is still live.
    let shared: SharedRead;
    let principal: AuthenticatedPrincipal;
    try {
      if (claims.kind === 'access') {
        const read = readGrant('access', id, now);
        shared = read;
        const grant = await read.grant;
        if (!grant || grant.userId !== sub) return FAILURES.revoked;
        // An access grant always expires: a row without an expiry would be cached for ever, so it
        // is refused (typed stores cannot return one; a hand-written store might).
        if (typeof grant.expiresAt !== 'number') return FAILURES.invalid;
        if (grant.expiresAt <= now) return FAILURES.expired;
        principal = {
          kind: 'session',
          ...identityOf(grant),
          credentialId: id,
          sessionId: grant.sessionId,
          expiresAt: grant.expiresAt,
        };
      } else {
        const read = readGrant('api_key', id, now);
        shared = read;
        const grant = await read.grant;
        if (!grant || grant.userId !== sub) return FAILURES.revoked;
        if (grant.expiresAt !== null && grant.expiresAt <= now) return FAILURES.expired;
        const kind = grant.kind === 'system' ? 'system_api_key' : 'user_api_key';
        principal = { kind, ...identityOf(grant), credentialId: id, sessionId: null, expiresAt: grant.expiresAt };
      }
    } catch {
      return FAILURES.unavailable;
    }
    const channelDown = channel.isLive?.() === false;
    // The read, not this caller, must postdate every revocation for the answer to be cached.
    if (shared.generation !== generation || channelDown)
      return Object.freeze({ ok: true as const, principal: Object.freeze(principal) });
    return remember(token, principal, now);
  }

  function decideFromMemory(credentials: Credentials): AuthResult | undefined {
    const bearer = bearerCandidate(credentials.authorization);
    if (bearer === false) return FAILURES.invalid;
    const token = bearer ?? credentials.accessTokenCookie ?? null;
    if (!token) return FAILURES.missing;

    // While revocations from other instances cannot reach us, a cached answer may be stale.
    const live = channel.isLive?.() !== false;
    // Whatever is cached may have been revoked elsewhere in the meantime: drop it now, so it cannot
    // answer once the channel is back either (whatever order a channel flips state and sends 'all').
    if (!live && cache.size > 0) evict(REVOCATION_ALL);
    const hit = live ? cache.get(token) : undefined;
    if (hit !== undefined) {
      // A key verified as a bearer is still not a cookie credential: cookies carry access tokens only.
      if (bearer === null && hit.result.principal.kind !== 'session') return FAILURES.invalid;
      const now = clock.now();
      if (now < hit.staleAt) return hit.result;
      forget(token);
      if (hit.expiresAt !== null && hit.expiresAt <= now) return FAILURES.expired;
    }
    // Cached tokens passed this check when they were first seen; a miss gets it here.
    if (bearer !== null && !isBearerToken(bearer)) return FAILURES.invalid;
    // The admin secret is a bearer only, never a cookie, and is compared in constant time.
    if (
      bearer !== null &&
      adminSecretResult !== null &&
      adminSecret !== null &&
      timingSafeEqualString(bearer, adminSecret)
    ) {
      return adminSecretResult;
    }
    return undefined;
  }

  return {
    authenticateCached: decideFromMemory,
    authenticate(credentials: Credentials): Promise<AuthResult> {
      const known = decideFromMemory(credentials);
      if (known !== undefined) return Promise.resolve(known);
      // decideFromMemory has already refused a malformed bearer and answered every case without a
      // token: what is left is a checked token, and the cast only restates that.
      const bearer = bearerCandidate(credentials.authorization);
      const token = (bearer || credentials.accessTokenCookie) as string;
      return lookup(token, bearer === null, clock.now());
    },
    evict,
    get size() {
      return cache.size;
    },
    close() {
      unsubscribe();
      cache.clear();
      inFlight.clear();
      byUser.clear();
      bySession.clear();
      byApiKey.clear();
    },
  };
}
