import { randomPassword } from '../crypto/index.js';
import { isGatehouseError } from '../errors/index.js';
import type { NewUser, UserRecord } from '../ports.js';
import type { ServiceDeps } from './deps.js';
import { recordUserCreated } from './users.js';

const GATEHOUSE_ITSELF = { kind: 'system', userId: null } as const;
import { DEFAULT_ADMIN, SYSTEM_USER } from './well-known-users.js';

/** Phoenix's default for PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD. */
const DEFAULT_ADMIN_PASSWORD = 'admin';

export interface BootstrapResult {
  readonly systemUserId: number;
  /** True when this start created the default admin (first start on an empty store). */
  readonly createdDefaultAdmin: boolean;
  /** Usernames of PHOENIX_ADMINS entries created on this start. */
  readonly createdAdmins: readonly string[];
}

/**
 * Start-up seeding, safe to run on every start and on several instances at once: each insert that
 * loses a race to another instance hits a unique constraint and is treated as "already there".
 * Existing users are never modified (no promotion, no password reset).
 */
export async function bootstrap(deps: ServiceDeps): Promise<BootstrapResult> {
  const { store, hasher, clock, config } = deps;
  const now = clock.now();

  const system =
    (await store.findFirstUserByRole('SYSTEM')) ??
    (await insertUnlessPresent(deps, {
      ...SYSTEM_USER,
      role: 'SYSTEM',
      authMethod: 'LOCAL',
      // Nobody knows this password; login also refuses SYSTEM-role accounts outright.
      passwordHash: await hasher.hash(randomPassword()),
      resetPassword: false,
      createdAt: now,
    })) ??
    (await store.findFirstUserByRole('SYSTEM'));
  if (!system) throw new Error('bootstrap: the system user could not be created');

  let createdDefaultAdmin = false;
  if ((await store.countUsersByRole('ADMIN')) === 0) {
    const created = await insertUnlessPresent(deps, {
      ...DEFAULT_ADMIN,
      role: 'ADMIN',
      authMethod: 'LOCAL',
      passwordHash: await hasher.hash(config.defaultAdminInitialPassword),
      resetPassword: true,
      createdAt: now,
    });
    createdDefaultAdmin = created !== null;
    if (created) recordUserCreated(deps, created, 'bootstrap', GATEHOUSE_ITSELF);
  }

  const createdAdmins: string[] = [];
  for (const entry of config.admins) {
    if (await store.findUserByEmail(entry.email)) continue;
    if (await store.findUserByUsername(entry.username)) continue;
    const local = config.basicAuthEnabled;
    const created = await insertUnlessPresent(deps, {
      username: entry.username,
      email: entry.email,
      role: 'ADMIN',
      // Without password login: LDAP users when LDAP is the only other way in (docs/phoenix-contract.md#startup-admins).
      authMethod: local ? 'LOCAL' : config.ldap !== null && config.oauth2.idps.length === 0 ? 'LDAP' : 'OAUTH2',
      // A LOCAL admin from the environment gets an unusable password and signs in through
      // "forgot password" (or an admin sets one); an OAuth-only one links on first SSO login.
      passwordHash: local ? await hasher.hash(randomPassword()) : null,
      resetPassword: local,
      createdAt: now,
    });
    if (created) {
      createdAdmins.push(created.username);
      recordUserCreated(deps, created, 'bootstrap', GATEHOUSE_ITSELF);
    }
  }
  if (createdDefaultAdmin) {
    // The default password is public knowledge (so is saying it); one chosen in the environment is never echoed.
    if (config.defaultAdminInitialPassword === DEFAULT_ADMIN_PASSWORD) {
      deps.logger.warn(
        `bootstrap: created the default admin ${DEFAULT_ADMIN.email} with the well-known password '${DEFAULT_ADMIN_PASSWORD}': sign in and change it`,
        {
          email: DEFAULT_ADMIN.email,
        },
      );
    } else {
      deps.logger.info(
        `bootstrap: created the default admin ${DEFAULT_ADMIN.email} with the initial password from ${config.prefix}DEFAULT_ADMIN_INITIAL_PASSWORD`,
        {
          email: DEFAULT_ADMIN.email,
        },
      );
    }
  }
  if (createdAdmins.length > 0) {
    deps.logger.info(`bootstrap: created ${createdAdmins.length} admin(s) from ${config.prefix}ADMINS`, {
      usernames: createdAdmins,
    });
  }

  return Object.freeze({ systemUserId: system.id, createdDefaultAdmin, createdAdmins: Object.freeze(createdAdmins) });
}

async function insertUnlessPresent(deps: ServiceDeps, user: NewUser): Promise<UserRecord | null> {
  try {
    return await deps.store.insertUser(user);
  } catch (error) {
    if (isGatehouseError(error) && (error.code === 'duplicate_email' || error.code === 'duplicate_username'))
      return null;
    throw error;
  }
}
