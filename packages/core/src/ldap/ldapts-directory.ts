/**
 * The directory flow (docs/phoenix-contract.md#ldap-directory) on ldapts: per server (in random order) a search connection
 * (service account or anonymous), the user search, a password bind on a fresh connection, then the
 * groups. Only server faults move on to the next server; "not found" and "wrong password" are final.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError, type Entry } from 'ldapts';
import type { LdapConfig } from '../config/index.js';
import type { Logger } from '../services/index.js';
import type { Directory, DirectoryOutcome, DirectoryProbe, DirectoryUser } from './directory.js';
import { fillFilter } from './filter.js';
import { uniqueIdText } from './unique-id.js';

export interface LdapDirectoryOptions {
  /** TCP (and TLS) connect time-out per connection; default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Per operation (bind, search, StartTLS); default 30 000 ms. */
  operationTimeoutMs?: number;
  /** A whole login, queueing included; default 60 000 ms. */
  attemptTimeoutMs?: number;
  /** Directory logins at once per process; the others wait. Default 10. */
  maxConcurrent?: number;
  logger?: Logger;
}

const MAX_USERNAME = 256;
const MAX_PASSWORD = 1024;

/** The server failed us (connection, TLS, protocol, time-out): the next server may do better. */
class ServerFault extends Error {}

type Final = { readonly ok: false; readonly reason: 'invalid' };
const INVALID: Final = Object.freeze({ ok: false as const, reason: 'invalid' as const });
const UNAVAILABLE: DirectoryOutcome = Object.freeze({ ok: false as const, reason: 'unavailable' as const });

/** Code points, as Phoenix counts (a UTF-16 length would halve the limit for emoji). */
const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A counting semaphore: at most `limit` holders, the rest queue in order. */
function createLimiter(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<() => void> {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        active--;
        waiting.shift()?.();
      };
    },
  };
}

const first = (value: Entry[string] | undefined): string | null => {
  if (value === undefined) return null;
  const item = Array.isArray(value) ? value[0] : value;
  if (item === undefined) return null;
  const text = Buffer.isBuffer(item) ? item.toString('utf8') : item;
  return text === '' ? null : text;
};

const all = (value: Entry[string] | undefined): string[] => {
  if (value === undefined) return [];
  const items: (string | Buffer)[] = Array.isArray(value) ? value : [value];
  return items.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : item));
};

const firstBuffer = (value: Entry[string] | undefined): Buffer | null => {
  if (value === undefined) return null;
  const item = Array.isArray(value) ? value[0] : value;
  if (item === undefined) return null;
  return Buffer.isBuffer(item) ? item : Buffer.from(item, 'utf8');
};

/** Builds the ldapts-backed directory. Certificates are read at each connection, so a renewed file needs no restart. */
export function createLdapDirectory(config: LdapConfig, options: LdapDirectoryOptions = {}): Directory {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const timeout = options.operationTimeoutMs ?? 30_000;
  const attemptTimeout = options.attemptTimeoutMs ?? 60_000;
  const limiter = createLimiter(options.maxConcurrent ?? 10);
  const logger = options.logger;
  const attributes = [
    config.emailAttribute,
    config.displayNameAttribute,
    config.uniqueIdAttribute,
    config.groupSearchFilterUserAttribute,
  ];
  if (config.groupSearchFilter === null) attributes.push(config.memberOfAttribute);
  const requested = [...new Set(attributes.filter((a): a is string => a !== null))];
  const bufferAttributes = config.uniqueIdAttribute === null ? [] : [config.uniqueIdAttribute];

  function tlsOptions(host: string): ConnectionOptions {
    const tls: ConnectionOptions = { rejectUnauthorized: config.tlsVerify, minVersion: 'TLSv1.2' };
    if (isIP(host) === 0) tls.servername = host;
    if (!config.tlsVerify) tls.checkServerIdentity = () => undefined;
    if (config.caCertFile) tls.ca = readFileSync(config.caCertFile);
    if (config.clientCertFile && config.clientKeyFile) {
      tls.cert = readFileSync(config.clientCertFile);
      tls.key = readFileSync(config.clientKeyFile);
    }
    return tls;
  }

  /** A connection with TLS in place (LDAPS from the start, or StartTLS before anything else). */
  async function connect(host: string, open: Set<Client>): Promise<Client> {
    const target = host.includes(':') ? `[${host}]` : host;
    let tls: ConnectionOptions | undefined;
    try {
      tls = config.tlsMode === 'none' ? undefined : tlsOptions(host);
    } catch {
      throw new ServerFault('could not read the TLS files');
    }
    const scheme = config.tlsMode === 'ldaps' ? 'ldaps' : 'ldap';
    const client = new Client({
      url: `${scheme}://${target}:${config.port}`,
      connectTimeout,
      timeout,
      strictDN: false,
      ...(config.tlsMode === 'ldaps' ? { tlsOptions: tls } : {}),
    });
    open.add(client);
    if (config.tlsMode === 'starttls') await client.startTLS(tls);
    return client;
  }

  /**
   * ldapts reconnects a dropped socket by itself, to the plain `ldap://` URL, without STARTTLS or a
   * bind: an on-path attacker who resets the connection would then read and answer our next search
   * in clear text (and forge group membership). So a StartTLS connection is checked before every
   * operation; nothing asynchronous happens between the check and ldapts writing the request.
   */
  function assertSecure(client: Client): void {
    if (config.tlsMode === 'starttls' && !client.isConnected)
      throw new ServerFault('the directory connection dropped after STARTTLS');
  }

  /** Unbinds and drops the socket; awaited on the normal path, so a queued login starts on a free slot. */
  function close(client: Client, open: Set<Client>): Promise<void> {
    open.delete(client);
    return client.unbind().catch(() => undefined);
  }

  async function searchConnection(host: string, open: Set<Client>): Promise<Client> {
    const client = await connect(host, open);
    // Without a service account the search runs anonymously (LDAPv3 needs no bind for that).
    if (config.bindDn !== null && config.bindPassword !== null) await client.bind(config.bindDn, config.bindPassword);
    return client;
  }

  async function findUser(client: Client, username: string): Promise<Entry | null | 'ambiguous'> {
    const filter = fillFilter(config.userSearchFilter, username);
    for (const base of config.userSearchBaseDns) {
      let searchEntries: Entry[];
      try {
        assertSecure(client);
        ({ searchEntries } = await client.search(base, {
          scope: 'sub',
          filter,
          attributes: requested.length > 0 ? requested : ['1.1'],
          explicitBufferAttributes: bufferAttributes,
          sizeLimit: 2,
        }));
      } catch (error) {
        // A base that does not exist (yet) holds nobody; it is not a server fault.
        if (error instanceof NoSuchObjectError) continue;
        throw error;
      }
      if (searchEntries.length > 1) return 'ambiguous';
      if (searchEntries.length === 1) return searchEntries[0]!;
    }
    return null;
  }

  /** Equalises the time of an unknown user with a bind that cannot succeed; its result is ignored. */
  async function dummyBind(host: string, password: string, open: Set<Client>): Promise<void> {
    try {
      const client = await connect(host, open);
      try {
        // A dropped StartTLS connection must not carry the password in clear: the check throws first.
        assertSecure(client);
        await client.bind(`cn=dummy-${randomBytes(8).toString('hex')},dc=invalid,dc=local`, password);
      } finally {
        await close(client, open);
      }
    } catch {
      // expected
    }
  }

  async function passwordMatches(host: string, dn: string, password: string, open: Set<Client>): Promise<boolean> {
    const client = await connect(host, open);
    try {
      assertSecure(client);
      await client.bind(dn, password);
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      throw error;
    } finally {
      await close(client, open);
    }
  }

  async function groupsOf(client: Client, entry: Entry, username: string): Promise<string[]> {
    if (config.groupSearchFilter === null)
      return config.memberOfAttribute === null ? [] : all(entry[config.memberOfAttribute]);
    let value = username;
    if (config.groupSearchFilterUserAttribute !== null) {
      const attribute = first(entry[config.groupSearchFilterUserAttribute]);
      if (attribute === null) {
        logger?.warn('ldap: the group-search user attribute is missing on the entry; no groups', {
          attribute: config.groupSearchFilterUserAttribute,
        });
        return [];
      }
      value = attribute;
    }
    const filter = fillFilter(config.groupSearchFilter, value);
    const groups: string[] = [];
    for (const base of config.groupSearchBaseDns) {
      try {
        assertSecure(client);
        const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['cn'] });
        groups.push(...searchEntries.map((group) => group.dn));
      } catch (error) {
        // A lost secure connection is a server fault, never "this base has no groups".
        if (error instanceof ServerFault) throw error;
        logger?.warn('ldap: a group search base failed; skipped', {
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
    }
    return groups;
  }

  async function tryServer(
    host: string,
    username: string,
    password: string,
    open: Set<Client>,
  ): Promise<DirectoryOutcome> {
    let search: Client;
    let entry: Entry | null | 'ambiguous';
    try {
      search = await searchConnection(host, open);
      entry = await findUser(search, username);
    } catch (error) {
      throw new ServerFault(error instanceof Error ? error.name : 'unknown');
    }
    try {
      // Several entries answer like none: same refusal, same dummy-bind cost.
      if (entry === null || entry === 'ambiguous') {
        await dummyBind(host, password, open);
        return INVALID;
      }
      let matches: boolean;
      try {
        matches = await passwordMatches(host, entry.dn, password, open);
      } catch (error) {
        throw new ServerFault(error instanceof Error ? error.name : 'unknown');
      }
      if (!matches) return INVALID;
      let groups: string[];
      try {
        groups = await groupsOf(search, entry, username);
      } catch (error) {
        throw new ServerFault(error instanceof Error ? error.name : 'unknown');
      }
      const user: DirectoryUser = {
        dn: entry.dn,
        email: config.emailAttribute === null ? null : first(entry[config.emailAttribute]),
        displayName: config.displayNameAttribute === null ? null : first(entry[config.displayNameAttribute]),
        uniqueId: config.uniqueIdAttribute === null ? null : uniqueIdText(firstBuffer(entry[config.uniqueIdAttribute])),
        groups,
      };
      return { ok: true, user };
    } finally {
      await close(search, open);
    }
  }

  async function attempt(
    username: string,
    password: string,
    open: Set<Client>,
    cancelled: () => boolean,
  ): Promise<DirectoryOutcome> {
    for (const host of shuffled(config.hosts)) {
      if (cancelled()) return UNAVAILABLE;
      try {
        return await tryServer(host, username, password, open);
      } catch (error) {
        // Only the kind of failure is logged: library messages may quote what the server sent.
        logger?.warn('ldap: directory server failed; trying the next one', {
          host,
          error: error instanceof Error ? error.message : 'unknown',
        });
      }
    }
    return UNAVAILABLE;
  }

  return {
    async authenticate(username, password) {
      // Guards before any I/O: an empty password would be an unauthenticated bind, which succeeds.
      if (typeof username !== 'string' || typeof password !== 'string') return INVALID;
      if (username.trim() === '' || password === '') return INVALID;
      if (codePoints(username) > MAX_USERNAME || codePoints(password) > MAX_PASSWORD) return INVALID;

      const open = new Set<Client>();
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<DirectoryOutcome>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve(UNAVAILABLE);
        }, attemptTimeout);
      });
      const work = (async () => {
        const release = await limiter.acquire();
        try {
          if (timedOut) return UNAVAILABLE;
          return await attempt(username, password, open, () => timedOut);
        } finally {
          release();
        }
      })();
      try {
        const outcome = await Promise.race([work, deadline]);
        if (timedOut) logger?.warn('ldap: the login attempt timed out', { timeoutMs: attemptTimeout });
        return outcome;
      } finally {
        clearTimeout(timer);
        // Only what a timed-out attempt left behind; not awaited (that server is not answering).
        for (const client of open) void close(client, open);
      }
    },

    async probe(sample: string = 'gatehouse-check-env-probe') {
      const lines: string[] = [];
      let ok = true;
      for (const host of config.hosts) {
        const open = new Set<Client>();
        try {
          const client = await searchConnection(host, open);
          const who = config.bindDn === null ? 'anonymously' : `as ${config.bindDn}`;
          const filter = fillFilter(config.userSearchFilter, sample);
          const found: Entry[] = [];
          for (const base of config.userSearchBaseDns) {
            try {
              assertSecure(client);
              const { searchEntries } = await client.search(base, {
                scope: 'sub',
                filter,
                attributes: requested.length > 0 ? requested : ['1.1'],
                sizeLimit: 5,
              });
              found.push(...searchEntries);
            } catch (error) {
              if (!(error instanceof NoSuchObjectError)) throw error;
              lines.push(`${host}: base DN ${base === '' ? '(root DSE)' : base} does not exist`);
              ok = false;
            }
          }
          lines.push(
            `${host}:${config.port} (${config.tlsMode}): bound ${who}; ${filter} found ${found.length} entr${found.length === 1 ? 'y' : 'ies'}`,
          );
          for (const entry of found) {
            const email =
              config.emailAttribute === null ? 'no-email mode' : (first(entry[config.emailAttribute]) ?? 'none');
            const groups =
              config.groupSearchFilter === null && config.memberOfAttribute !== null
                ? `${all(entry[config.memberOfAttribute]).length} ${config.memberOfAttribute}`
                : 'group search';
            lines.push(`  ${entry.dn} (e-mail: ${email}; groups: ${groups})`);
          }
        } catch (error) {
          ok = false;
          lines.push(
            `${host}:${config.port} (${config.tlsMode}): failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}`,
          );
        } finally {
          for (const client of open) void close(client, open);
        }
      }
      return { ok, lines } satisfies DirectoryProbe;
    },
  };
}
