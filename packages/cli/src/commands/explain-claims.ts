import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NotFoundError, resolveAccess, ValidationError, type IdpConfig } from '@gatehouse-auth/core';
import {
  hasSufficientClaims,
  normalizeGroups,
  normalizeRoleValue,
  parseUserInfo,
  pruneClaims,
} from '@gatehouse-auth/core/internal';
import { parseOptions, required } from '../args.js';
import { loadEnvironment } from '../environment.js';
import { printJson, type Context } from '../io.js';
import type { Command } from './command.js';

function readClaims(ctx: Context, file: string): Record<string, unknown> {
  const path = resolve(ctx.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new NotFoundError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, {
      code: 'malformed_json',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError(`${path} must hold one JSON object: the claims of an ID token or a UserInfo answer`);
  }
  return parsed as Record<string, unknown>;
}

function findIdp(idps: readonly IdpConfig[], raw: string): IdpConfig {
  const name = raw.trim().toLowerCase();
  const idp = idps.find((candidate) => candidate.name === name);
  if (idp) return idp;
  const known =
    idps.length === 0
      ? 'none is configured (PHOENIX_OAUTH2_<IDP>_* variables)'
      : `configured: ${idps.map((i) => i.name).join(', ')}`;
  throw new NotFoundError(`No IdP named '${name}'; ${known}`);
}

const list = (items: readonly string[]) => (items.length === 0 ? 'none' : items.map((item) => `'${item}'`).join(', '));

export const explainClaims: Command = {
  name: 'explain-claims',
  synopsis: 'explain-claims --idp NAME --claims FILE [--json]',
  summary: "Show what an IdP's claims decide: the user info, the groups gate, the role, and why",
  help: [
    "Runs the server's checks on a set of claims (an ID token's payload, merged with UserInfo when the",
    'server would ask for it) against the configured IdP, without signing anybody in.',
    'Exits 0 whenever it could explain, allowed or denied; see "allowed" in --json.',
    '',
    '  --idp NAME     the IdP, as in PHOENIX_OAUTH2_<NAME>_*',
    '  --claims FILE  a JSON object of claims',
    '  --json         one JSON object on stdout',
  ].join('\n'),
  // Synchronous work; the executor turns a throw into a rejection, as an async body would.
  run: (args, ctx) => new Promise((done) => done(explain(args, ctx))),
};

function explain(args: readonly string[], ctx: Context): number {
  const values = parseOptions(args, { idp: { type: 'string' }, claims: { type: 'string' }, json: { type: 'boolean' } });
  const idpName = required(values.idp, '--idp');
  const file = required(values.claims, '--claims');
  const { config } = loadEnvironment(ctx);
  const idp = findIdp(config.oauth2.idps, idpName);
  const claims = pruneClaims(readClaims(ctx, file));

  const userInfo = parseUserInfo(claims, idp);
  const access = resolveAccess(claims, idp);
  const groups = idp.groupsPath === null ? null : normalizeGroups(idp.groupsPath.evaluate(claims));
  const allowedGroups = new Set(idp.allowedGroups);
  const groupsPassed = groups === null ? null : groups.some((group) => allowedGroups.has(group));
  const roleValue = idp.rolePath === null ? null : normalizeRoleValue(idp.rolePath.evaluate(claims));
  // The server checks the user info first: without a subject and an e-mail nothing else matters.
  const allowed = userInfo.ok && access.allowed;
  const reason = userInfo.ok ? access.reason : userInfo.reason;
  const role = userInfo.ok && access.allowed ? access.role : null;

  if (values.json === true) {
    printJson(ctx, {
      ok: true,
      idp: { name: idp.name, displayName: idp.displayName },
      allowed,
      role,
      reason,
      userInfo: userInfo.ok
        ? { ok: true, sub: userInfo.info.subject, email: userInfo.info.email, username: userInfo.info.username }
        : { ok: false, code: userInfo.code, reason: userInfo.reason },
      groups:
        idp.groupsPath === null
          ? null
          : { path: idp.groupsPath.expression, found: groups, allowedGroups: idp.allowedGroups, passed: groupsPassed },
      roleClaim:
        idp.rolePath === null
          ? null
          : { path: idp.rolePath.expression, value: roleValue, strict: idp.roleAttributeStrict },
      access,
      idTokenSufficient: hasSufficientClaims(claims, idp),
    });
    return 0;
  }

  const rows: [string, string][] = [
    ['idp', `${idp.name} (${idp.displayName})`],
    [
      'user info',
      userInfo.ok
        ? `sub '${userInfo.info.subject}', email ${userInfo.info.email}, username ${userInfo.info.username === null ? '(none)' : `'${userInfo.info.username}'`}`
        : `refused: ${userInfo.reason}`,
    ],
    [
      'groups gate',
      idp.groupsPath === null || groups === null
        ? 'none (no GROUPS_ATTRIBUTE_PATH)'
        : // The expression goes last: it may hold quotes of its own.
          `${groupsPassed === true ? 'passes' : 'fails'}: found ${list(groups)}; ALLOWED_GROUPS ${list(idp.allowedGroups)}; GROUPS_ATTRIBUTE_PATH: ${idp.groupsPath.expression}`,
    ],
    [
      'role claim',
      idp.rolePath === null
        ? 'none (no ROLE_ATTRIBUTE_PATH)'
        : `found ${roleValue === null ? 'nothing' : `'${roleValue}'`}${idp.roleAttributeStrict ? ' (strict)' : ''}; ROLE_ATTRIBUTE_PATH: ${idp.rolePath.expression}`,
    ],
    [
      'decision',
      allowed ? `allowed${role === null ? ' (role unchanged; VIEWER for a new user)' : ` as ${role}`}` : 'denied',
    ],
    ['why', reason],
  ];
  if (!hasSufficientClaims(claims, idp))
    rows.push([
      'note',
      'as an ID token alone these claims are not enough: the server would also ask the UserInfo endpoint',
    ]);
  for (const [label, text] of rows) ctx.out(`${label.padEnd(13)}${text}`);
  return 0;
}
