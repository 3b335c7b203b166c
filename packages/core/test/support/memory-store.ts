import { ConflictError, UnavailableError } from '../../src/errors/index.js';
import { isRole } from '../../src/policy/index.js';
import type { AuditEventRecord } from '../../src/audit/events.js';
import type {
  AccessTokenRecord,
  ApiKeyRecord,
  ApiKeyWithOwner,
  AuthStore,
  IdpSessionLink,
  MfaChallengeRecord,
  PasskeyRecord,
  TotpFactorRecord,
  AuthStoreOps,
  NewUser,
  PasswordResetTokenRecord,
  RefreshTokenRecord,
  SessionRecord,
  UserPatch,
  UserRecord,
  WebauthnChallengeRecord,
} from '../../src/ports.js';

/**
 * The AuthStore for unit tests only: plain maps, the schema's constraints re-stated in code, and
 * transactions as snapshot + restore behind one lock. It passes the same contract suite as the real
 * stores, which is what makes service tests on it meaningful.
 */
interface State {
  seq: {
    user: number;
    session: number;
    refresh: number;
    access: number;
    key: number;
    reset: number;
    code: number;
    challenge: number;
    passkey: number;
  };
  users: Map<number, UserRecord>;
  sessions: Map<number, SessionRecord>;
  refresh: Map<number, RefreshTokenRecord>;
  access: Map<number, AccessTokenRecord>;
  keys: Map<number, ApiKeyRecord>;
  resets: Map<number, PasswordResetTokenRecord>;
  links: Map<number, IdpSessionLink>;
  /** `<issuer>\n<jti>` → expiry. */
  logoutJtis: Map<string, number>;
  totp: Map<number, TotpFactorRecord>;
  codes: Map<number, { userId: number; hash: string; usedAt: number | null }>;
  challenges: Map<number, MfaChallengeRecord>;
  passkeys: Map<number, PasskeyRecord>;
  webauthn: Map<string, WebauthnChallengeRecord>;
}

const empty = (): State => ({
  seq: { user: 0, session: 0, refresh: 0, access: 0, key: 0, reset: 0, code: 0, challenge: 0, passkey: 0 },
  users: new Map(),
  sessions: new Map(),
  refresh: new Map(),
  access: new Map(),
  keys: new Map(),
  resets: new Map(),
  links: new Map(),
  logoutJtis: new Map(),
  totp: new Map(),
  codes: new Map(),
  challenges: new Map(),
  passkeys: new Map(),
  webauthn: new Map(),
});

const clone = (s: State): State => ({
  seq: { ...s.seq },
  users: new Map(s.users),
  sessions: new Map(s.sessions),
  refresh: new Map(s.refresh),
  access: new Map(s.access),
  keys: new Map(s.keys),
  resets: new Map(s.resets),
  links: new Map(s.links),
  logoutJtis: new Map(s.logoutJtis),
  totp: new Map(s.totp),
  codes: new Map([...s.codes].map(([k, v]) => [k, { ...v }])),
  challenges: new Map(s.challenges),
  passkeys: new Map(s.passkeys),
  webauthn: new Map(s.webauthn),
});

const normalizeEmail = (email: string) => email.trim().toLowerCase();

function checkUser(u: UserRecord): void {
  if (!isRole(u.role)) throw new ConflictError('Referenced record does not exist');
  if (u.authMethod === 'LOCAL' && (u.passwordHash === null || u.oauth2ClientId !== null || u.oauth2UserId !== null)) {
    throw new ConflictError('LOCAL users need a password hash and no OAuth2 identity');
  }
  if (u.authMethod === 'OAUTH2' && u.passwordHash !== null)
    throw new ConflictError('OAUTH2 users have no password hash');
  if (u.authMethod === 'LDAP' && (u.passwordHash !== null || u.oauth2ClientId !== null || u.oauth2UserId !== null)) {
    throw new ConflictError('LDAP users have no password hash and no OAuth2 identity');
  }
  if (u.authMethod !== 'LDAP' && u.ldapUniqueId !== null)
    throw new ConflictError('Only LDAP users have an LDAP unique id');
}

export function createMemoryStore(): AuthStore & { readonly state: () => State } {
  let s = empty();

  function unique(u: UserRecord): void {
    for (const other of s.users.values()) {
      if (other.id === u.id) continue;
      if (other.email === u.email) throw new ConflictError('Email already exists', { code: 'duplicate_email' });
      if (other.username === u.username)
        throw new ConflictError('Username already exists', { code: 'duplicate_username' });
      if (
        u.oauth2ClientId !== null &&
        u.oauth2UserId !== null &&
        other.oauth2ClientId === u.oauth2ClientId &&
        other.oauth2UserId === u.oauth2UserId
      ) {
        throw new ConflictError('OAuth2 identity already linked');
      }
      if (u.ldapUniqueId !== null && other.ldapUniqueId === u.ldapUniqueId)
        throw new ConflictError('LDAP unique id already linked');
    }
  }

  /** Deletes a session and its tokens; returns the number of rows removed (0: no such session). */
  function dropSession(id: number): number {
    if (!s.sessions.delete(id)) return 0;
    let n = 1;
    if (s.links.delete(id)) n++;
    for (const [k, v] of s.refresh) if (v.sessionId === id && s.refresh.delete(k)) n++;
    for (const [k, v] of s.access) if (v.sessionId === id && s.access.delete(k)) n++;
    return n;
  }

  /** Deletes a refresh token and the access tokens minted with it (the schema's cascade). */
  function dropRefresh(id: number): number {
    if (!s.refresh.delete(id)) return 0;
    let n = 1;
    for (const [k, v] of s.access) if (v.refreshTokenId === id && s.access.delete(k)) n++;
    return n;
  }

  const ops: AuthStoreOps = {
    async insertUser(n: NewUser) {
      const id = s.seq.user + 1;
      const u: UserRecord = {
        id,
        username: n.username,
        email: normalizeEmail(n.email),
        role: n.role,
        authMethod: n.authMethod,
        passwordHash: n.passwordHash,
        resetPassword: n.resetPassword,
        oauth2ClientId: n.oauth2ClientId ?? null,
        oauth2UserId: n.oauth2UserId ?? null,
        profilePictureUrl: n.profilePictureUrl ?? null,
        ldapUniqueId: n.ldapUniqueId ?? null,
        createdAt: n.createdAt,
        updatedAt: n.createdAt,
      };
      checkUser(u);
      unique(u);
      s.seq.user = id;
      s.users.set(id, u);
      return u;
    },
    async findUserById(id) {
      return s.users.get(id) ?? null;
    },
    async findUserByEmail(email) {
      const e = normalizeEmail(email);
      for (const u of s.users.values()) if (u.email === e) return u;
      return null;
    },
    async findUserByUsername(username) {
      for (const u of s.users.values()) if (u.username === username) return u;
      return null;
    },
    async findUserByOAuth2Identity(clientId, subject) {
      for (const u of s.users.values()) if (u.oauth2ClientId === clientId && u.oauth2UserId === subject) return u;
      return null;
    },
    async findUserByLdapUniqueId(uniqueId) {
      for (const u of s.users.values()) if (u.authMethod === 'LDAP' && u.ldapUniqueId === uniqueId) return u;
      return null;
    },
    async findFirstUserByRole(role) {
      for (const u of s.users.values()) if (u.role === role) return u;
      return null;
    },
    async countUsersByRole(role) {
      let n = 0;
      for (const u of s.users.values()) if (u.role === role) n++;
      return n;
    },
    async updateUser(id, patch: UserPatch) {
      const current = s.users.get(id);
      if (!current) return null;
      const email = patch.email === undefined ? current.email : normalizeEmail(patch.email);
      const next: UserRecord = { ...current, ...patch, email, updatedAt: patch.updatedAt };
      checkUser(next);
      unique(next);
      s.users.set(id, next);
      return next;
    },
    async deleteUser(id) {
      if (!s.users.delete(id)) return false;
      for (const [k, v] of s.sessions) if (v.userId === id) dropSession(k);
      for (const [k, v] of s.keys) if (v.userId === id) s.keys.delete(k);
      for (const [k, v] of s.resets) if (v.userId === id) s.resets.delete(k);
      s.totp.delete(id);
      for (const [k, v] of s.codes) if (v.userId === id) s.codes.delete(k);
      for (const [k, v] of s.challenges) if (v.userId === id) s.challenges.delete(k);
      for (const [k, v] of s.passkeys) if (v.userId === id) s.passkeys.delete(k);
      for (const [k, v] of s.webauthn) if (v.userId === id) s.webauthn.delete(k);
      return true;
    },
    async listUsers({ beforeId, limit, excludeRoles = [] }) {
      return [...s.users.values()]
        .filter((u) => (beforeId == null || u.id < beforeId) && !excludeRoles.includes(u.role))
        .sort((a, b) => b.id - a.id)
        .slice(0, limit);
    },

    async insertSession(n) {
      if (!s.users.has(n.userId)) throw new ConflictError('unknown user');
      // The databases' CHECK on sessions.sign_in_method, mirrored.
      if (!['password', 'oauth2', 'ldap', 'passkey'].includes(n.signInMethod))
        throw new ConflictError('Invalid sign-in method');
      const row: SessionRecord = {
        id: ++s.seq.session,
        userId: n.userId,
        createdAt: n.createdAt,
        expiresAt: n.expiresAt,
        signInMethod: n.signInMethod,
        idp: n.idp ?? null,
        clientAddress: n.clientAddress ?? null,
        userAgent: n.userAgent ?? null,
        lastRefreshedAt: null,
      };
      s.sessions.set(row.id, row);
      return row;
    },
    async listSessionsOfUser(userId, now) {
      return [...s.sessions.values()]
        .filter((x) => x.userId === userId && x.expiresAt > now)
        .sort((a, b) => b.id - a.id);
    },
    async findSession(id) {
      return s.sessions.get(id) ?? null;
    },
    async extendSession(id, expiresAt, refreshedAt) {
      const row = s.sessions.get(id);
      if (!row) return false;
      s.sessions.set(id, {
        ...row,
        expiresAt: Math.max(row.expiresAt, expiresAt),
        lastRefreshedAt: Math.max(row.lastRefreshedAt ?? refreshedAt, refreshedAt),
      });
      return true;
    },
    async insertRefreshToken(n) {
      if (!s.sessions.has(n.sessionId)) throw new ConflictError('unknown session');
      const row = { id: ++s.seq.refresh, ...n, consumedAt: null };
      s.refresh.set(row.id, row);
      return row;
    },
    async findRefreshToken(id) {
      return s.refresh.get(id) ?? null;
    },
    async consumeRefreshToken(id, now) {
      const row = s.refresh.get(id);
      if (!row || row.consumedAt !== null) return false;
      s.refresh.set(id, { ...row, consumedAt: now });
      return true;
    },
    async insertAccessToken(n) {
      if (!s.refresh.has(n.refreshTokenId)) throw new ConflictError('unknown refresh token');
      const row = { id: ++s.seq.access, ...n };
      s.access.set(row.id, row);
      return row;
    },
    async findAccessTokenGrant(id) {
      const row = s.access.get(id);
      const refresh = row && s.refresh.get(row.refreshTokenId);
      const user = row && s.users.get(row.userId);
      if (!row || !refresh || refresh.consumedAt !== null || !user || !s.sessions.has(row.sessionId)) return null;
      return {
        id: row.id,
        sessionId: row.sessionId,
        userId: row.userId,
        expiresAt: row.expiresAt,
        role: user.role,
        username: user.username,
        email: user.email,
        authMethod: user.authMethod,
      };
    },
    async deleteSession(id) {
      return dropSession(id) > 0;
    },
    async deleteSessionsOfUser(userId, exceptSessionId) {
      const ids = [...s.sessions.values()]
        .filter((x) => x.userId === userId && x.id !== exceptSessionId)
        .map((x) => x.id);
      for (const id of ids) dropSession(id);
      return ids;
    },

    async insertIdpSessionLink(link) {
      if (!s.sessions.has(link.sessionId)) throw new ConflictError('unknown session');
      if (s.links.has(link.sessionId)) throw new ConflictError('session already linked');
      s.links.set(link.sessionId, { ...link });
    },
    async findIdpSessionLink(sessionId) {
      return s.links.get(sessionId) ?? null;
    },
    async deleteSessionsByIdpLogout({ idp, subject, sid }) {
      if (subject === null && sid === null) return [];
      const matched = [...s.links.values()].filter(
        (l) => l.idp === idp && (subject === null || l.subject === subject) && (sid === null || l.sid === sid),
      );
      const deleted = matched.map((l) => ({ sessionId: l.sessionId, userId: s.sessions.get(l.sessionId)!.userId }));
      for (const l of matched) dropSession(l.sessionId);
      return deleted.sort((a, b) => a.sessionId - b.sessionId);
    },
    async recordLogoutTokenJti({ issuer, jti, expiresAt }) {
      const key = `${issuer}\n${jti}`;
      if (s.logoutJtis.has(key)) return false;
      s.logoutJtis.set(key, expiresAt);
      return true;
    },

    async insertApiKey(n) {
      if (!s.users.has(n.userId)) throw new ConflictError('unknown user');
      if (!n.name.trim()) throw new ConflictError('API key name must be non-empty');
      if (n.kind !== 'user' && n.kind !== 'system') throw new ConflictError('unknown API key kind');
      const row = { id: ++s.seq.key, ...n, secretId: n.secretId ?? null };
      s.keys.set(row.id, row);
      return row;
    },
    async findApiKey(id) {
      return s.keys.get(id) ?? null;
    },
    async findApiKeyGrant(id) {
      const row = s.keys.get(id);
      const user = row && s.users.get(row.userId);
      if (!row || !user) return null;
      return {
        id: row.id,
        userId: row.userId,
        kind: row.kind,
        expiresAt: row.expiresAt,
        role: user.role,
        username: user.username,
        email: user.email,
        authMethod: user.authMethod,
      };
    },
    async listApiKeys({ kind, userId, beforeId, limit }) {
      return [...s.keys.values()]
        .filter(
          (k) =>
            k.kind === kind && (userId === undefined || k.userId === userId) && (beforeId == null || k.id < beforeId),
        )
        .sort((a, b) => b.id - a.id)
        .slice(0, limit)
        .map((k): ApiKeyWithOwner => {
          const o = s.users.get(k.userId)!;
          return { ...k, owner: { id: o.id, username: o.username, email: o.email } };
        });
    },
    async deleteApiKey(id) {
      return s.keys.delete(id);
    },

    async insertPasswordResetToken(n) {
      if (!s.users.has(n.userId)) throw new ConflictError('unknown user');
      for (const [k, v] of s.resets) if (v.userId === n.userId) s.resets.delete(k);
      const row = { id: ++s.seq.reset, ...n };
      s.resets.set(row.id, row);
      return row;
    },
    async deletePasswordResetTokensOfUser(userId) {
      let n = 0;
      for (const [k, v] of s.resets) if (v.userId === userId && s.resets.delete(k)) n++;
      return n;
    },
    async takePasswordResetToken(id) {
      const row = s.resets.get(id) ?? null;
      if (row) s.resets.delete(id);
      return row;
    },
    async findTotpFactor(userId) {
      return s.totp.get(userId) ?? null;
    },
    async putPendingTotpFactor(n) {
      if (!s.users.has(n.userId)) throw new ConflictError('unknown user');
      const current = s.totp.get(n.userId);
      if (current && current.confirmedAt !== null) return false;
      s.totp.set(n.userId, { ...n, confirmedAt: null, lastUsedStep: null });
      return true;
    },
    async confirmTotpFactor(userId, step, now) {
      const current = s.totp.get(userId);
      if (!current || current.confirmedAt !== null) return false;
      s.totp.set(userId, { ...current, confirmedAt: now, lastUsedStep: step });
      return true;
    },
    async advanceTotpStep(userId, step) {
      const current = s.totp.get(userId);
      if (!current || current.confirmedAt === null || (current.lastUsedStep !== null && current.lastUsedStep >= step))
        return false;
      s.totp.set(userId, { ...current, lastUsedStep: step });
      return true;
    },
    async updateTotpCiphertext(userId, secretCiphertext) {
      const current = s.totp.get(userId);
      if (!current) return false;
      s.totp.set(userId, { ...current, secretCiphertext });
      return true;
    },
    async deleteTotpFactor(userId) {
      return s.totp.delete(userId);
    },
    async replaceRecoveryCodes(userId, hashes, _now) {
      if (!s.users.has(userId)) throw new ConflictError('unknown user');
      if (new Set(hashes).size !== hashes.length) throw new ConflictError('duplicate recovery code');
      for (const [k, v] of s.codes) if (v.userId === userId) s.codes.delete(k);
      for (const hash of hashes) s.codes.set(++s.seq.code, { userId, hash, usedAt: null });
    },
    async useRecoveryCode(userId, hashes, now) {
      for (const code of s.codes.values()) {
        if (code.userId === userId && code.usedAt === null && hashes.includes(code.hash)) {
          code.usedAt = now;
          return true;
        }
      }
      return false;
    },
    async countUnusedRecoveryCodes(userId) {
      return [...s.codes.values()].filter((code) => code.userId === userId && code.usedAt === null).length;
    },
    async deleteRecoveryCodes(userId) {
      let n = 0;
      for (const [k, v] of s.codes) if (v.userId === userId && s.codes.delete(k)) n++;
      return n;
    },
    async insertMfaChallenge(n) {
      if (!s.users.has(n.userId)) throw new ConflictError('unknown user');
      const row = { id: ++s.seq.challenge, ...n };
      s.challenges.set(row.id, row);
      return row;
    },
    async findMfaChallenge(id) {
      return s.challenges.get(id) ?? null;
    },
    async takeMfaChallenge(id) {
      const row = s.challenges.get(id) ?? null;
      if (row) s.challenges.delete(id);
      return row;
    },
    async deleteMfaChallengesOfUser(userId) {
      let n = 0;
      for (const [k, v] of s.challenges) if (v.userId === userId && s.challenges.delete(k)) n++;
      return n;
    },
    async insertPasskey(n) {
      if (!s.users.has(n.userId)) throw new ConflictError('unknown user');
      if ([...s.passkeys.values()].some((p) => p.credentialId === n.credentialId))
        throw new ConflictError('Credential already registered');
      const row = { id: ++s.seq.passkey, ...n, transports: [...n.transports], lastUsedAt: null };
      s.passkeys.set(row.id, row);
      return row;
    },
    async listPasskeys(userId) {
      return [...s.passkeys.values()].filter((p) => p.userId === userId).sort((a, b) => a.id - b.id);
    },
    async findPasskeyByCredentialId(credentialId) {
      return [...s.passkeys.values()].find((p) => p.credentialId === credentialId) ?? null;
    },
    async countPasskeys(userId) {
      return [...s.passkeys.values()].filter((p) => p.userId === userId).length;
    },
    async renamePasskey(userId, id, name) {
      const row = s.passkeys.get(id);
      if (!row || row.userId !== userId) return null;
      const next = { ...row, name };
      s.passkeys.set(id, next);
      return next;
    },
    async deletePasskey(userId, id) {
      const row = s.passkeys.get(id);
      return row !== undefined && row.userId === userId && s.passkeys.delete(id);
    },
    async deletePasskeysOfUser(userId) {
      let n = 0;
      for (const [k, v] of s.passkeys) if (v.userId === userId && s.passkeys.delete(k)) n++;
      return n;
    },
    async advancePasskeyCounter(id, counter, now) {
      const row = s.passkeys.get(id);
      if (!row || !(counter === 0 ? row.counter === 0 : row.counter < counter)) return false;
      s.passkeys.set(id, { ...row, counter, lastUsedAt: now });
      return true;
    },
    async insertWebauthnChallenge(n) {
      if (n.userId !== null && !s.users.has(n.userId)) throw new ConflictError('unknown user');
      if (s.webauthn.has(n.handleHash)) throw new ConflictError('duplicate challenge');
      s.webauthn.set(n.handleHash, { ...n });
    },
    async takeWebauthnChallenge(handleHash) {
      const row = s.webauthn.get(handleHash) ?? null;
      if (row) s.webauthn.delete(handleHash);
      return row;
    },
    async deleteExpired(now) {
      let n = 0;
      const holdsLiveRefresh = (sessionId: number) =>
        [...s.refresh.values()].some((r) => r.sessionId === sessionId && r.expiresAt > now);
      for (const [k, v] of s.sessions) if (v.expiresAt <= now && !holdsLiveRefresh(k)) n += dropSession(k);
      for (const [k, v] of s.refresh) if (v.expiresAt <= now) n += dropRefresh(k);
      for (const [k, v] of s.access) if (v.expiresAt <= now && s.access.delete(k)) n++;
      for (const [k, v] of s.keys) if (v.expiresAt !== null && v.expiresAt <= now && s.keys.delete(k)) n++;
      for (const [k, v] of s.resets) if (v.expiresAt <= now && s.resets.delete(k)) n++;
      for (const [k, v] of s.logoutJtis) if (v <= now && s.logoutJtis.delete(k)) n++;
      for (const [k, v] of s.challenges) if (v.expiresAt <= now && s.challenges.delete(k)) n++;
      for (const [k, v] of s.webauthn) if (v.expiresAt <= now && s.webauthn.delete(k)) n++;
      return n;
    },
  };

  // One lock: single calls and whole transactions never interleave, so a rollback restores exactly
  // what the transaction found.
  let lock: Promise<unknown> = Promise.resolve();
  let closed = false;
  function exclusive<T>(body: () => Promise<T>): Promise<T> {
    const fn = () => (closed ? Promise.reject(new UnavailableError('Authentication store unavailable')) : body());
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  }

  const locked = Object.fromEntries(
    Object.entries(ops).map(([name, fn]) => [
      name,
      (...args: unknown[]) => exclusive(() => (fn as (...a: unknown[]) => Promise<unknown>)(...args)),
    ]),
  ) as unknown as AuthStoreOps;

  // Outside the transaction snapshot, as the real stores keep the audit table out of transactions.
  const audit: AuditEventRecord[] = [];
  let auditSeq = 0;
  const whenOpen = <T>(body: () => T): Promise<T> =>
    closed ? Promise.reject(new UnavailableError('Authentication store unavailable')) : Promise.resolve(body());

  return {
    ...locked,
    appendAuditEvents: (events) =>
      whenOpen(() => {
        for (const event of events)
          audit.push({ ...event, details: JSON.parse(JSON.stringify(event.details)) as never, id: ++auditSeq });
      }),
    listAuditEvents: (query) =>
      whenOpen(() =>
        audit
          .filter(
            (e) =>
              (query.beforeId == null || e.id < query.beforeId) &&
              (!query.types?.length || query.types.includes(e.type)) &&
              (query.userId == null || e.subjectUserId === query.userId || e.actor.userId === query.userId) &&
              (query.since == null || e.occurredAt >= query.since) &&
              (query.until == null || e.occurredAt < query.until),
          )
          .reverse()
          .slice(0, query.limit),
      ),
    deleteAuditEventsBefore: (cutoff) =>
      whenOpen(() => {
        const before = audit.length;
        const kept = audit.filter((e) => e.occurredAt >= cutoff);
        audit.splice(0, audit.length, ...kept);
        return before - kept.length;
      }),
    transaction<T>(fn: (tx: AuthStoreOps) => Promise<T>): Promise<T> {
      return exclusive(async () => {
        const snapshot = clone(s);
        try {
          return await fn(ops);
        } catch (error) {
          s = snapshot;
          throw error;
        }
      });
    },
    async close() {
      closed = true;
    },
    state: () => s,
  };
}
