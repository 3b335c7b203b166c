import {
  AUDIT_EVENT_TYPES,
  isAuditEventType,
  listAuditEvents,
  type AuditEventRecord,
  type AuditEventType,
} from '@gatehouse-auth/core';
import { auditEventJson, fromGlobalId, toGlobalId } from '@gatehouse-auth/core/internal';
import { parseOptions, UsageError } from '../args.js';
import { loadEnvironment } from '../environment.js';
import type { Context } from '../io.js';
import { printJson } from '../io.js';
import { withServices, type Services } from '../services.js';
import { userByEmail } from '../users.js';
import type { Command } from './command.js';

const DURATION = /^(\d{1,6})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const PAGE = 1000;

/** `30m`, `24h`, `7d` before now, or an ISO 8601 time with a zone (a bare date is midnight UTC). */
export function parseTime(raw: string, flag: string, now: number): number {
  const duration = DURATION.exec(raw);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  const ms = ISO_TIME.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(
      `${flag} must be a duration before now (30m, 24h, 7d) or an ISO 8601 time such as 2026-01-31T00:00:00Z`,
    );
  return ms;
}

function parseTypes(raw: string | undefined): AuditEventType[] {
  if (raw === undefined) return [];
  const types = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const type of types)
    if (!isAuditEventType(type))
      throw new UsageError(`--type: unknown event type "${type}"; one of ${AUDIT_EVENT_TYPES.join(', ')}`);
  return types as AuditEventType[];
}

/** `--user` takes an e-mail (as the other commands) or a User GlobalID (as the API shows). */
async function resolveUser(services: Services, raw: string | undefined): Promise<number | null> {
  if (raw === undefined) return null;
  if (raw.includes('@')) return (await userByEmail(services.deps, raw)).id;
  try {
    return fromGlobalId('User', raw.trim(), '--user');
  } catch {
    throw new UsageError('--user must be an e-mail address or a User id (as list-users shows it)');
  }
}

function line(event: AuditEventRecord): string {
  const actor =
    event.actor.userId === null ? event.actor.kind : `${event.actor.kind}:${toGlobalId('User', event.actor.userId)}`;
  const subject = event.subjectUserId === null ? '-' : toGlobalId('User', event.subjectUserId);
  const details = Object.entries(event.details as Record<string, unknown>)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');
  return [
    new Date(event.occurredAt).toISOString(),
    event.type,
    `actor=${actor}`,
    `subject=${subject}`,
    `from=${event.clientAddress ?? '-'}`,
    details,
  ].join('  ');
}

export const auditCommand: Command = {
  name: 'audit',
  synopsis: 'audit [--since 24h] [--until TIME] [--user EMAIL|ID] [--type T[,T]] [--limit N] [--json]',
  summary: 'Show the audit trail (newest first): sign-ins, lockouts, password and user changes, keys',
  help: [
    "Reads the audit events from the server's database, newest first (docs/audit.md).",
    '',
    '  --since  only events at or after this time: 30m, 24h, 7d before now, or an ISO 8601 time',
    '  --until  only events before this time (same forms)',
    '  --user   only events where this user (e-mail or User id) is the actor or the subject',
    `  --type   only these types, comma-separated: ${AUDIT_EVENT_TYPES.join(', ')}`,
    '  --limit  at most this many events (default 100, 0: all)',
    '  --json   one JSON object on stdout: {"ok":true,"events":[...]} in the API\'s shape',
  ].join('\n'),
  async run(args, ctx: Context) {
    const values = parseOptions(args, {
      since: { type: 'string' },
      until: { type: 'string' },
      user: { type: 'string' },
      type: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    const now = Date.now();
    const since = values.since === undefined ? null : parseTime(values.since, '--since', now);
    const until = values.until === undefined ? null : parseTime(values.until, '--until', now);
    if (since !== null && until !== null && since >= until) throw new UsageError('--since must be before --until');
    const types = parseTypes(values.type);
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isSafeInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number (0: all)');
    const env = loadEnvironment(ctx);
    return withServices(ctx, env, {}, async (services) => {
      const userId = await resolveUser(services, values.user);
      const events: AuditEventRecord[] = [];
      let cursor: number | null = null;
      do {
        const want = limit === 0 ? PAGE : Math.min(PAGE, limit - events.length);
        const page = await listAuditEvents(services.deps, services.operator, {
          cursor,
          limit: want,
          types,
          userId,
          since,
          until,
        });
        events.push(...page.events);
        cursor = page.nextCursor;
      } while (cursor !== null && (limit === 0 || events.length < limit));

      if (values.json === true) {
        printJson(ctx, { ok: true, events: events.map(auditEventJson) });
        return 0;
      }
      if (events.length === 0) ctx.err('no audit events match');
      for (const event of events) ctx.out(line(event));
      return 0;
    });
  },
};
