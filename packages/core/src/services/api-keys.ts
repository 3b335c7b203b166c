import { NotFoundError, ValidationError } from '../errors/index.js';
import { isAdmin, isSystemPrincipal, type Principal } from '../policy/index.js';
import type { ApiKeyKind, ApiKeyRecord, ApiKeyWithOwner } from '../ports.js';
import { authorize, requireActor } from './authorize.js';
import { auditActorOf } from '../audit/index.js';
import type { ServiceDeps } from './deps.js';

const MAX_NAME_LENGTH = 256;

export interface CreateApiKeyInput {
  name: unknown;
  description?: unknown;
  /** Epoch ms, a Date or an ISO string; must be in the future. Omitted or null: never expires. */
  expiresAt?: unknown;
}

/** The new key's row and the key itself, which is shown this once and never stored. */
export interface CreatedApiKey {
  readonly record: ApiKeyRecord;
  readonly key: string;
}

export interface ApiKeyPage {
  readonly keys: readonly ApiKeyWithOwner[];
  readonly nextCursor: number | null;
}

function parseExpiry(raw: unknown, now: number): number | null {
  if (raw === undefined || raw === null) return null;
  let ms: number;
  if (raw instanceof Date) ms = raw.getTime();
  else if (typeof raw === 'number') ms = raw;
  else if (typeof raw === 'string') {
    // A naive datetime (no zone) is taken as UTC, as Phoenix does.
    const hasZone = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(raw.trim());
    ms = Date.parse(hasZone || !raw.includes('T') ? raw : `${raw.trim()}Z`);
  } else ms = Number.NaN;
  if (!Number.isFinite(ms)) throw new ValidationError('expires_at must be a valid date-time');
  if (ms <= now) throw new ValidationError('expires_at must be in the future');
  return ms;
}

function parseName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (!name) throw new ValidationError('Name must be non-empty');
  if (name.length > MAX_NAME_LENGTH)
    throw new ValidationError(`Name must be at most ${MAX_NAME_LENGTH} characters long`);
  return name;
}

function parseDescription(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') throw new ValidationError('Description must be a string');
  return raw.trim() || null;
}

async function mint(
  deps: ServiceDeps,
  actor: Principal,
  ownerId: number,
  kind: ApiKeyKind,
  input: CreateApiKeyInput,
): Promise<CreatedApiKey> {
  const now = deps.clock.now();
  const record = await deps.store.insertApiKey({
    userId: ownerId,
    kind,
    name: parseName(input.name),
    description: parseDescription(input.description),
    createdAt: now,
    expiresAt: parseExpiry(input.expiresAt, now),
    // Which secret signs it: retiring that secret later ends this key (`gatehouse api-keys --old-secrets`).
    secretId: deps.tokens.keyId,
  });
  const key = await deps.tokens.sign('api_key', {
    jti: String(record.id),
    sub: String(ownerId),
    expiresAt: record.expiresAt === null ? null : Math.floor(record.expiresAt / 1000),
  });
  deps.audit.record({
    type: 'api_key.created',
    actor: auditActorOf(actor),
    subjectUserId: ownerId,
    details: { keyId: record.id, kind, name: record.name, expiresAt: record.expiresAt },
  });
  return { record, key };
}

/** A personal key, owned by the caller and acting with the caller's current role. Sessions only. */
export async function createUserApiKey(
  deps: ServiceDeps,
  actor: Principal | null,
  input: CreateApiKeyInput,
): Promise<CreatedApiKey> {
  authorize(actor, 'create_own_user_key');
  return mint(deps, actor, actor.userId as number, 'user', input);
}

/** A system key, owned by the system user: it survives the deletion of the admin who created it. */
export async function createSystemApiKey(
  deps: ServiceDeps,
  actor: Principal | null,
  input: CreateApiKeyInput,
  systemUserId: number,
): Promise<CreatedApiKey> {
  authorize(actor, 'create_system_key');
  return mint(deps, actor, systemUserId, 'system', input);
}

function page(rows: ApiKeyWithOwner[], limit: number): ApiKeyPage {
  const keys = rows.slice(0, limit);
  return { keys, nextCursor: rows.length > limit ? (keys[keys.length - 1]?.id ?? null) : null };
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit <= 0 || limit > 1000)
    throw new ValidationError('limit must be an integer between 1 and 1000');
}

/** The caller's own keys; a system principal has none (docs/phoenix-contract.md#api-keys). */
export async function listOwnApiKeys(
  deps: ServiceDeps,
  actor: Principal | null,
  query: { cursor?: number | null; limit?: number } = {},
): Promise<ApiKeyPage> {
  authorize(actor, 'list_own_user_keys');
  const limit = query.limit ?? 100;
  checkLimit(limit);
  if (isSystemPrincipal(actor) || actor.userId === null) return { keys: [], nextCursor: null };
  return page(
    await deps.store.listApiKeys({
      kind: 'user',
      userId: actor.userId,
      beforeId: query.cursor ?? null,
      limit: limit + 1,
    }),
    limit,
  );
}

/** Every user's personal keys (admin). */
export async function listAllUserApiKeys(
  deps: ServiceDeps,
  actor: Principal | null,
  query: { cursor?: number | null; limit?: number } = {},
): Promise<ApiKeyPage> {
  authorize(actor, 'list_all_user_keys');
  const limit = query.limit ?? 100;
  checkLimit(limit);
  return page(await deps.store.listApiKeys({ kind: 'user', beforeId: query.cursor ?? null, limit: limit + 1 }), limit);
}

export async function listSystemApiKeys(
  deps: ServiceDeps,
  actor: Principal | null,
  query: { cursor?: number | null; limit?: number } = {},
): Promise<ApiKeyPage> {
  authorize(actor, 'list_system_keys');
  const limit = query.limit ?? 100;
  checkLimit(limit);
  return page(
    await deps.store.listApiKeys({ kind: 'system', beforeId: query.cursor ?? null, limit: limit + 1 }),
    limit,
  );
}

/**
 * Deletes a personal key: the owner's own, or anyone's for an admin. Someone else's key and a
 * missing key get the same 404, so ids cannot be probed.
 */
export async function deleteUserApiKey(deps: ServiceDeps, actor: Principal | null, id: number): Promise<void> {
  requireActor(actor);
  // Admins (and the admin secret) may delete anyone's key; everyone else only their own, and a
  // system principal none (403, as Phoenix).
  const admin = isAdmin(actor);
  authorize(actor, admin ? 'delete_other_user_key' : 'delete_own_user_key');
  const key = Number.isSafeInteger(id) ? await deps.store.findApiKey(id) : null;
  if (!key || key.kind !== 'user' || (!admin && key.userId !== actor.userId))
    throw new NotFoundError('API key not found');
  await deps.store.deleteApiKey(key.id);
  await deps.revocations.publish({ type: 'api_key', apiKeyId: key.id });
  deps.audit.record({
    type: 'api_key.deleted',
    actor: auditActorOf(actor),
    subjectUserId: key.userId,
    details: { keyId: key.id, kind: key.kind },
  });
}

export async function deleteSystemApiKey(deps: ServiceDeps, actor: Principal | null, id: number): Promise<void> {
  authorize(actor, 'delete_system_key');
  const key = Number.isSafeInteger(id) ? await deps.store.findApiKey(id) : null;
  if (!key || key.kind !== 'system') throw new NotFoundError('System API key not found');
  await deps.store.deleteApiKey(key.id);
  await deps.revocations.publish({ type: 'api_key', apiKeyId: key.id });
  deps.audit.record({
    type: 'api_key.deleted',
    actor: auditActorOf(actor),
    subjectUserId: key.userId,
    details: { keyId: key.id, kind: key.kind },
  });
}
