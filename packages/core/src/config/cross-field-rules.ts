import type { z } from 'zod';
import { passwordProblems } from '../crypto/password-policy.js';
import type { IdpDiscovery } from './oauth2-idps.js';
import type { ParsedEnv } from './variable-schemas.js';
import { GATEHOUSE_PREFIX, type GatehouseVariable, type Variable } from './variables.js';

/**
 * @module
 * The rules that combine variables (a secret that auth needs, SMTP credentials that go with a host,
 * one auto-login IdP, one IdP per client ID). Each adds an issue and carries on, so one start-up
 * lists every problem.
 */

/** Phoenix's default for DEFAULT_ADMIN_INITIAL_PASSWORD. */
const DEFAULT_ADMIN_PASSWORD = 'admin';

/** Adds one issue per broken combination of variables to `ctx`. */
export function checkCrossFieldRules(
  env: ParsedEnv,
  ctx: z.RefinementCtx,
  prefix: string,
  discovery: IdpDiscovery,
  ldapOn: boolean,
): void {
  const name = (variable: Variable) => `${prefix}${variable}`;
  const problem = (variable: Variable, message: string) =>
    ctx.addIssue({ code: 'custom', path: [variable], message, continue: true });

  // An initial password someone chose must meet the policy every later password meets (Phoenix's
  // default, `admin`, is kept as the contract: that account must pick a new one at first login).
  const initialPassword = env.DEFAULT_ADMIN_INITIAL_PASSWORD;
  if (typeof initialPassword === 'string' && initialPassword !== DEFAULT_ADMIN_PASSWORD) {
    const weak = passwordProblems(initialPassword, env.ENABLE_STRONG_PASSWORD_POLICY === true ? 'strong' : 'default');
    if (weak !== null)
      problem(
        'DEFAULT_ADMIN_INITIAL_PASSWORD',
        `${name('DEFAULT_ADMIN_INITIAL_PASSWORD')} breaks the password policy: ${weak}`,
      );
  }

  if (env.ENABLE_AUTH === true && env.SECRET === null) {
    problem('SECRET', `\`${name('SECRET')}\` must be set when auth is enabled with \`${name('ENABLE_AUTH')}\``);
  }
  // An invalid SECRET has its own issue; the admin secret is only compared with a usable one.
  if (env.ADMIN_SECRET !== null && env.SECRET === null) {
    problem('ADMIN_SECRET', `\`${name('ADMIN_SECRET')}\` must be not be set without setting \`${name('SECRET')}\`.`);
  } else if (typeof env.ADMIN_SECRET === 'string' && env.ADMIN_SECRET === env.SECRET) {
    problem('ADMIN_SECRET', `\`${name('ADMIN_SECRET')}\` must be different from \`${name('SECRET')}\``);
  }

  const previous = env.GATEHOUSE.PREVIOUS_SECRETS;
  if (Array.isArray(previous) && previous.length > 0) {
    const list = `${GATEHOUSE_PREFIX}PREVIOUS_SECRETS`;
    const listProblem = (message: string) =>
      ctx.addIssue({ code: 'custom', path: ['GATEHOUSE', 'PREVIOUS_SECRETS'], message, continue: true });
    if (env.SECRET === null)
      listProblem(`${list} must not be set without \`${name('SECRET')}\`: it lists secrets accepted besides it`);
    previous.forEach((entry, index) => {
      if (entry === env.SECRET)
        listProblem(`${list} entry ${index + 1} is the same as ${name('SECRET')}: list only the secrets it replaces`);
      if (entry === env.ADMIN_SECRET)
        listProblem(
          `${list} entry ${index + 1} is the same as ${name('ADMIN_SECRET')}: the admin secret must never sign tokens`,
        );
    });
  }
  const gatehouseProblem = (variable: GatehouseVariable, message: string) =>
    ctx.addIssue({ code: 'custom', path: ['GATEHOUSE', variable], message, continue: true });
  const encryptionKey = env.GATEHOUSE.ENCRYPTION_KEY;
  // A key shared with the token secret would let whoever holds one read or forge the other.
  if (typeof encryptionKey === 'string' && (encryptionKey === env.SECRET || encryptionKey === env.ADMIN_SECRET)) {
    gatehouseProblem(
      'ENCRYPTION_KEY',
      `\`${GATEHOUSE_PREFIX}ENCRYPTION_KEY\` must be different from \`${name('SECRET')}\` and \`${name('ADMIN_SECRET')}\``,
    );
  }
  if (
    encryptionKey === null &&
    Array.isArray(env.GATEHOUSE.ENCRYPTION_KEY_PREVIOUS) &&
    env.GATEHOUSE.ENCRYPTION_KEY_PREVIOUS.length > 0
  ) {
    gatehouseProblem(
      'ENCRYPTION_KEY_PREVIOUS',
      `\`${GATEHOUSE_PREFIX}ENCRYPTION_KEY_PREVIOUS\` must not be set without \`${GATEHOUSE_PREFIX}ENCRYPTION_KEY\``,
    );
  }
  if (
    encryptionKey === null &&
    Array.isArray(env.GATEHOUSE.MFA_REQUIRED_ROLES) &&
    env.GATEHOUSE.MFA_REQUIRED_ROLES.length > 0
  ) {
    gatehouseProblem(
      'MFA_REQUIRED_ROLES',
      `\`${GATEHOUSE_PREFIX}MFA_REQUIRED_ROLES\` needs \`${GATEHOUSE_PREFIX}ENCRYPTION_KEY\`: second factors are stored encrypted under it`,
    );
  }

  if (env.ENABLE_AUTH === true && env.DISABLE_BASIC_AUTH === true && discovery.declared === 0 && !ldapOn) {
    problem(
      'DISABLE_BASIC_AUTH',
      `${name('DISABLE_BASIC_AUTH')} is set, but no alternative authentication methods are configured. ` +
        `Configure at least one OAuth2 identity provider (${prefix}OAUTH2_<IDP>_CLIENT_ID, ` +
        `${prefix}OAUTH2_<IDP>_CLIENT_SECRET and ${prefix}OAUTH2_<IDP>_OIDC_CONFIG_URL), or LDAP (${prefix}LDAP_HOST), or enable basic auth.`,
    );
  }

  if (typeof env.SMTP_HOSTNAME === 'string') {
    const required = `when ${name('SMTP_HOSTNAME')} is set`;
    if (env.SMTP_USERNAME === null) {
      problem('SMTP_USERNAME', `SMTP username is required: set ${name('SMTP_USERNAME')} ${required}`);
    }
    if (env.SMTP_PASSWORD === null) {
      problem('SMTP_PASSWORD', `SMTP password is required: set ${name('SMTP_PASSWORD')} ${required}`);
    }
  }

  const autoLogin = discovery.idps
    .map((idp, index) => ({ idp, index, draft: env.OAUTH2[String(index)] }))
    .filter(({ draft }) => draft?.AUTO_LOGIN === true);
  // Users are bound to (client id, sub): two different IdPs under one client id would share one
  // namespace of subjects, so a `sub` at one could sign in as the same `sub` at the other.
  const byClientId = new Map<string, { name: string; url: string }>();
  discovery.idps.forEach((idp, index) => {
    const draft = env.OAUTH2[String(index)];
    const clientId = draft?.CLIENT_ID;
    const url = draft?.OIDC_CONFIG_URL;
    if (typeof clientId !== 'string' || typeof url !== 'string') return;
    const seen = byClientId.get(clientId);
    if (seen === undefined) byClientId.set(clientId, { name: idp.name, url });
    else if (seen.url !== url) {
      ctx.addIssue({
        code: 'custom',
        path: ['OAUTH2', String(index), 'CLIENT_ID'],
        message: `the ${idp.name} OAuth2 IDP uses the same client ID as the ${seen.name} IDP but another OIDC_CONFIG_URL: users are matched by client ID and subject, so each identity provider needs its own client ID`,
        continue: true,
      });
    }
  });
  const [first, ...others] = autoLogin;
  for (const { index } of others) {
    ctx.addIssue({
      code: 'custom',
      path: ['OAUTH2', String(index), 'AUTO_LOGIN'],
      message: `only one auto-login client is allowed: AUTO_LOGIN is already enabled for the ${first?.idp.name ?? ''} OAuth2 IDP`,
      continue: true,
    });
  }
}
