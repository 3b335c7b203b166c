/**
 * Token attacks against a real listening server, for every adapter.
 *
 * The attacker knows the token format (HS256 compact JWS, `typ: gh-<kind>+jwt`, claims
 * jti/sub/iat/nbf/exp/knd/iss) but not PHOENIX_SECRET. A few cases are built with the secret on
 * purpose: they prove that a token which is authentic but of the wrong kind, expired, not yet
 * valid or pointing at the wrong row is still refused. Every refusal is checked on a host route
 * (GET /v1/projects, behind `authenticate`) and on a Gatehouse route (GET /v1/user), with the
 * `{ error: { code, message } }` body, and every attack is followed by a check that the genuine
 * credential still works — a refusal that broke the valid token would hide a denial of service.
 */
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_COOKIE,
  ADAPTERS,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createSystemKey,
  createUser,
  createUserKey,
  expectError,
  expectJson,
  expectStatus,
  loginSession,
  resetLink,
  startServer,
  waitForMail,
  type Session,
  type TestServer,
  type TestUser,
} from '../http/conformance/support.js';

/** PHOENIX_SECRET of test/http/harness.ts (not exported there). */
const SECRET = 'secret0for0tests0abcdefghijklmnop0123';
/** What an operator may have used before rotating; Gatehouse is configured with no previous secret. */
const PREVIOUS_SECRET = 'previous0secret0for0tests0abcdefghij01';

const ROUTES = ['/v1/projects', '/v1/user'] as const;
const INVALID = ['invalid_token', 'Invalid token'] as const;
const EXPIRED = ['expired_token', 'Expired token'] as const;

// ---------------------------------------------------------------------------------------------
// Building tokens by hand

type Json = Record<string, unknown>;

interface Parts {
  header: Json;
  claims: Json;
  signature: string;
}

const b64 = (value: Json | string): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');

function decode(token: string): Parts {
  const [header = '', claims = '', signature = ''] = token.split('.');
  const json = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Json;
  return { header: json(header), claims: json(claims), signature };
}

const HASH: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512', RS256: 'sha256' };

/** Signs with an HMAC of the header's `alg` (RS256 → HMAC-SHA256: the "secret as public key" confusion). */
function forge(header: Json, claims: Json, secret = SECRET): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const hash = HASH[String(header.alg).toUpperCase()] ?? 'sha256';
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** Re-signs the token with changes to its header and/or claims (`undefined` removes a member). */
function resign(token: string, header: Json, claims: Json, secret = SECRET): string {
  const parts = decode(token);
  const strip = (o: Json) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return forge(strip({ ...parts.header, ...header }), strip({ ...parts.claims, ...claims }), secret);
}

/** Swaps one segment of the token, keeping the others byte for byte. */
function splice(token: string, index: 0 | 1 | 2, segment: string): string {
  const segments = token.split('.');
  segments[index] = segment;
  return segments.join('.');
}

const now = (): number => Math.floor(Date.now() / 1000);

/** Another character that is still a legal last character of an HS256 signature. */
function flipLast(token: string): string {
  const last = token.at(-1)!;
  return token.slice(0, -1) + (last === 'A' ? 'E' : 'A');
}

/**
 * Attacks on one genuine token. `expired` carries the `expired_token` answer; everything else is
 * `invalid_token`. Those marked "(secret)" need PHOENIX_SECRET and show defence in depth.
 */
const FORGERIES: readonly (readonly [
  string,
  (token: string, otherUserId: number) => string,
  readonly [string, string],
])[] = [
  // Algorithm games
  ['alg none, signature stripped', (t) => `${b64({ ...decode(t).header, alg: 'none' })}.${t.split('.')[1]}.`, INVALID],
  ['alg none, signature kept', (t) => splice(t, 0, b64({ ...decode(t).header, alg: 'none' })), INVALID],
  ['alg NONE, no signature segment', (t) => `${b64({ ...decode(t).header, alg: 'NONE' })}.${t.split('.')[1]}`, INVALID],
  ['alg HS384 (secret)', (t) => resign(t, { alg: 'HS384' }, {}), INVALID],
  ['alg HS512 (secret)', (t) => resign(t, { alg: 'HS512' }, {}), INVALID],
  ['alg RS256 signed with the secret as HMAC key', (t) => resign(t, { alg: 'RS256' }, {}), INVALID],
  ['alg hs256 (lower case, secret)', (t) => resign(t, { alg: 'hs256' }, {}), INVALID],
  // Header injection: any member but alg/typ is refused, even on an otherwise valid signature
  ['jku header (secret)', (t) => resign(t, { jku: 'https://attacker.example/jwks.json' }, {}), INVALID],
  ['jwk header (secret)', (t) => resign(t, { jwk: { kty: 'oct', k: b64('attacker') } }, {}), INVALID],
  ['x5u header (secret)', (t) => resign(t, { x5u: 'https://attacker.example/cert.pem' }, {}), INVALID],
  ['x5c header (secret)', (t) => resign(t, { x5c: ['MIIB'] }, {}), INVALID],
  ['kid header (secret)', (t) => resign(t, { kid: '../../../../dev/null' }, {}), INVALID],
  ['crit header (secret)', (t) => resign(t, { crit: ['exp'] }, {}), INVALID],
  ['typ in upper case (secret)', (t) => resign(t, { typ: String(decode(t).header.typ).toUpperCase() }, {}), INVALID],
  ['typ JWT (secret)', (t) => resign(t, { typ: 'JWT' }, {}), INVALID],
  ['typ removed (secret)', (t) => resign(t, { typ: undefined }, {}), INVALID],
  // Signature
  ['signature truncated by one character', (t) => t.slice(0, -1), INVALID],
  ['signature truncated to half', (t) => t.slice(0, -22), INVALID],
  ['signature with its last character changed', flipLast, INVALID],
  [
    'signature with stray low bits (same bytes, other string)',
    (t) => t.slice(0, -1) + String.fromCharCode(t.charCodeAt(t.length - 1) + 1),
    INVALID,
  ],
  ['base64 padding appended', (t) => `${t}=`, INVALID],
  ['a fourth segment appended', (t) => `${t}.${t.split('.')[2]}`, INVALID],
  ['signed with a previous secret', (t) => resign(t, {}, {}, PREVIOUS_SECRET), INVALID],
  ['signed with the admin secret', (t) => resign(t, {}, {}, 'admin0secret0for0tests0abcdefghij0123'), INVALID],
  // Payload tampered, signature kept
  [
    'sub changed to another user',
    (t, other) => splice(t, 1, b64({ ...decode(t).claims, sub: String(other) })),
    INVALID,
  ],
  [
    'jti changed',
    (t) => splice(t, 1, b64({ ...decode(t).claims, jti: String(Number(decode(t).claims.jti) + 1) })),
    INVALID,
  ],
  ['role ADMIN claim added', (t) => splice(t, 1, b64({ ...decode(t).claims, role: 'ADMIN' })), INVALID],
  ['exp pushed a year out', (t) => splice(t, 1, b64({ ...decode(t).claims, exp: now() + 31_536_000 })), INVALID],
  // Authentic but wrong (secret)
  ['sub changed to another user (secret)', (t, other) => resign(t, {}, { sub: String(other) }), INVALID],
  ['jti of no row (secret)', (t) => resign(t, {}, { jti: '999999' }), INVALID],
  ['jti in the Phoenix format "AccessToken:1" (secret)', (t) => resign(t, {}, { jti: 'AccessToken:1' }), INVALID],
  ['iss changed (secret)', (t) => resign(t, {}, { iss: 'phoenix' }), INVALID],
  ['knd differs from typ (secret)', (t) => resign(t, {}, { knd: 'refresh' }), INVALID],
  ['typ and knd of a refresh token (secret)', (t) => resign(t, { typ: 'gh-refresh+jwt' }, { knd: 'refresh' }), INVALID],
  [
    'typ and knd of a password-reset token (secret)',
    (t) => resign(t, { typ: 'gh-password_reset+jwt' }, { knd: 'password_reset' }),
    INVALID,
  ],
  ['nbf an hour ahead (secret)', (t) => resign(t, {}, { nbf: now() + 3600 }), INVALID],
  ['iat and nbf as strings (secret)', (t) => resign(t, {}, { iat: String(now()), nbf: String(now()) }), INVALID],
  ['exp a minute ago (secret)', (t) => resign(t, {}, { exp: now() - 60 }), EXPIRED],
  ['exp at 0 (secret)', (t) => resign(t, {}, { exp: 0 }), EXPIRED],
];

// ---------------------------------------------------------------------------------------------
// Raw HTTP: what fetch and node:http refuse to send (control bytes, duplicates, huge headers)

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** One request on a fresh connection; header lines are written byte for byte. */
function raw(server: TestServer, path: string, headerLines: readonly (string | Buffer)[]): Promise<RawResponse> {
  const url = new URL(server.url);
  const head = Buffer.concat([
    Buffer.from(
      `GET ${url.pathname.replace(/\/$/, '')}${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n`,
      'latin1',
    ),
    ...headerLines.flatMap((line) => [
      typeof line === 'string' ? Buffer.from(line, 'latin1') : line,
      Buffer.from('\r\n'),
    ]),
    Buffer.from('\r\n'),
  ]);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname);
    const finish = () => {
      const data = Buffer.concat(chunks);
      const split = data.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no HTTP response (${data.length} bytes)`));
      const [statusLine = '', ...lines] = data.subarray(0, split).toString('latin1').split('\r\n');
      const headers = new Map(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const),
      );
      const rest = data.subarray(split + 4);
      const body = headers.get('transfer-encoding') === 'chunked' ? dechunk(rest) : rest;
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') });
    };
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', finish);
    // The server may answer and close while a huge header is still being written.
    socket.on('error', (error) => (chunks.length > 0 ? finish() : reject(error)));
    socket.write(head);
  });
}

function expectRawError(response: RawResponse, status: number, code: string, message: string): void {
  expect({ status: response.status, body: response.body }).toMatchObject({ status });
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  expect(JSON.parse(response.body)).toEqual({ error: { code, message } });
}

// ---------------------------------------------------------------------------------------------

interface PrincipalBody {
  principal: { kind: string; role: string; userId: number | null };
}

type CredentialName = 'access token' | 'user API key' | 'system API key';
type Transport = 'bearer' | 'cookie';

const TRANSPORTS: Record<CredentialName, readonly Transport[]> = {
  'access token': ['bearer', 'cookie'],
  'user API key': ['bearer'],
  'system API key': ['bearer'],
};

const CASES = (Object.keys(TRANSPORTS) as CredentialName[]).flatMap((credential) =>
  TRANSPORTS[credential].flatMap((transport) =>
    FORGERIES.map(
      ([attack, build, answer]) =>
        [`${credential} as ${transport}: ${attack}`, credential, transport, build, answer] as const,
    ),
  ),
);

const send = (transport: Transport, token: string) =>
  transport === 'bearer' ? { bearer: token } : { cookie: `${ACCESS_COOKIE}=${token}` };

describe.each(ADAPTERS)('%s: token attacks', (adapter) => {
  let server: TestServer;
  let member: TestUser;
  let session: Session;
  let adminId: number;
  const genuine = {} as Record<CredentialName, string>;
  const expectedKind: Record<CredentialName, string> = {
    'access token': 'session',
    'user API key': 'user_api_key',
    'system API key': 'system_api_key',
  };

  /** The genuine credential still works on both routes: the attack broke nothing. */
  async function stillWorks(credential: CredentialName, transport: Transport = 'bearer'): Promise<void> {
    const body = await expectJson<PrincipalBody>(
      await call(server, 'GET', '/v1/projects', send(transport, genuine[credential])),
      200,
    );
    expect(body.principal.kind).toBe(expectedKind[credential]);
    if (credential !== 'system API key') expect(body.principal.userId).toBe(member.id);
    // GET /v1/user: the member for their own credentials; a system key is still authenticated there.
    const me = await call(server, 'GET', '/v1/user', send(transport, genuine[credential]));
    expect(me.status, await me.clone().text()).not.toBe(401);
  }

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    const admin = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
    adminId = Number(decode(admin.access).claims.sub);
    member = await createUser(server, 'MEMBER');
    session = await loginSession(server, member.email, member.password);
    genuine['access token'] = session.access;
    genuine['user API key'] = (await createUserKey(server, session)).key;
    genuine['system API key'] = (await createSystemKey(server)).key;
  });
  afterAll(() => server?.close());

  it('the genuine credentials work (baseline) and carry the expected header', async () => {
    for (const credential of Object.keys(TRANSPORTS) as CredentialName[]) {
      expect(Object.keys(decode(genuine[credential]).header).sort()).toEqual(['alg', 'typ']);
      for (const transport of TRANSPORTS[credential]) await stillWorks(credential, transport);
    }
    // The forgeries below start from genuine tokens of the member, never of the admin.
    expect(adminId).not.toBe(member.id);
  });

  it.each(Object.keys(TRANSPORTS) as CredentialName[])(
    '%s re-signed with the secret and a new iat → accepted (the forging helper is sound)',
    async (credential) => {
      const twin = resign(genuine[credential], {}, { iat: Number(decode(genuine[credential]).claims.iat) - 1 });
      expect(twin).not.toBe(genuine[credential]);
      const body = await expectJson<PrincipalBody>(await call(server, 'GET', '/v1/projects', { bearer: twin }), 200);
      expect(body.principal.kind).toBe(expectedKind[credential]);
    },
  );

  it.each(CASES)('%s → 401', async (_label, credential, transport, build, [code, message]) => {
    const forged = build(genuine[credential], adminId);
    expect(forged).not.toBe(genuine[credential]);
    for (const route of ROUTES) {
      await expectError(await call(server, 'GET', route, send(transport, forged)), 401, code, message);
    }
    await stillWorks(credential, transport);
  });

  describe('another kind where an access token is expected', () => {
    let resetToken: string;

    beforeAll(async () => {
      const before = server.mails.length;
      await expectStatus(
        await call(server, 'POST', '/auth/password-reset-email', { json: { email: member.email } }),
        204,
      );
      resetToken = resetLink(await waitForMail(server, member.email, before)).searchParams.get('token') ?? '';
      expect(decode(resetToken).header.typ).toBe('gh-password_reset+jwt');
    });

    const OTHER_KINDS: readonly (readonly [string, () => string, Transport])[] = [
      ['refresh token as bearer', () => session.refresh, 'bearer'],
      ['refresh token as access cookie', () => session.refresh, 'cookie'],
      ['password-reset token as bearer', () => resetToken, 'bearer'],
      ['password-reset token as access cookie', () => resetToken, 'cookie'],
      ['user API key as access cookie', () => genuine['user API key'], 'cookie'],
      ['system API key as access cookie', () => genuine['system API key'], 'cookie'],
    ];

    it.each(OTHER_KINDS)('%s → 401', async (_label, token, transport) => {
      for (const route of ROUTES) {
        await expectError(await call(server, 'GET', route, send(transport, token())), 401, ...INVALID);
      }
      await stillWorks('access token');
      await stillWorks('user API key');
    });

    it('a user API key first accepted as a bearer is still refused as a cookie (cache does not launder kind)', async () => {
      await stillWorks('user API key');
      await expectError(
        await call(server, 'GET', '/v1/projects', send('cookie', genuine['user API key'])),
        401,
        ...INVALID,
      );
    });
  });

  describe('revoked before use', () => {
    it('the access token of a logged-out session → 401 as bearer and as cookie', async () => {
      // Logout ends every session of the user (as in Phoenix), so this one has its own user.
      const other = await createUser(server, 'MEMBER');
      const doomed = await loginSession(server, other.email, other.password);
      await stillWorksWith(doomed.access);
      await expectStatus(await call(server, 'GET', '/auth/logout', { cookie: doomed }), 302);
      for (const route of ROUTES) {
        await expectError(await call(server, 'GET', route, { bearer: doomed.access }), 401, ...INVALID);
        await expectError(
          await call(server, 'GET', route, { cookie: `${ACCESS_COOKIE}=${doomed.access}` }),
          401,
          ...INVALID,
        );
      }
      // …and the refresh token of that session mints nothing.
      await expectError(
        await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${doomed.refresh}` }),
        401,
        'invalid_token',
        'Invalid refresh token',
      );
      await stillWorks('access token', 'cookie');
    });

    it('a deleted user API key → 401', async () => {
      const doomed = await createUserKey(server, session, { name: 'doomed' });
      await stillWorksWith(doomed.key);
      await expectStatus(await call(server, 'DELETE', `/v1/user/api_keys/${doomed.id}`, { cookie: session }), 204);
      for (const route of ROUTES)
        await expectError(await call(server, 'GET', route, { bearer: doomed.key }), 401, ...INVALID);
      await stillWorks('user API key');
    });

    async function stillWorksWith(token: string): Promise<void> {
      await expectJson<PrincipalBody>(await call(server, 'GET', '/v1/projects', { bearer: token }), 200);
    }
  });

  describe('size limits', () => {
    it('a 10 KB token (over MAX_TOKEN_LENGTH, under the HTTP header limit) → 401 JSON', async () => {
      const big = `${genuine['access token']}${'A'.repeat(10_000)}`;
      for (const route of ROUTES) {
        await expectError(await call(server, 'GET', route, { bearer: big }), 401, ...INVALID);
        await expectError(await call(server, 'GET', route, { cookie: `${ACCESS_COOKIE}=${big}` }), 401, ...INVALID);
      }
      await stillWorks('access token');
    });

    it.each([
      ['a 100 KB bearer token', (t: string) => `Authorization: Bearer ${t}${'A'.repeat(100_000)}`],
      ['a 100 KB Authorization header of padding', () => `Authorization: ${'x'.repeat(100_000)}`],
      ['a 100 KB access cookie', (t: string) => `Cookie: ${ACCESS_COOKIE}=${t}${'A'.repeat(100_000)}`],
    ])('%s → a quick 4xx, and the server is still up', async (_label, line) => {
      const started = Date.now();
      for (const route of ROUTES) {
        const response = await raw(server, route, [line(genuine['access token'])]);
        // Node's 16 KB header limit answers before any framework or Gatehouse code runs.
        expect(response.status).toBe(431);
      }
      expect(Date.now() - started).toBeLessThan(2000);
      await stillWorks('access token');
    });
  });

  describe('raw header values', () => {
    // llhttp refuses control bytes in a header value before any framework sees it; whatever does get
    // through must be refused by Gatehouse with its JSON 401.
    it.each([
      ['NUL byte', '\x00'],
      ['SOH byte', '\x01'],
      ['ESC byte', '\x1b'],
      ['DEL byte', '\x7f'],
      ['bare CR', '\r'],
    ])('%s inside the token → 4xx, never accepted', async (_label, byte) => {
      const t = genuine['access token'];
      for (const route of ROUTES) {
        const response = await raw(server, route, [`Authorization: Bearer ${t.slice(0, 20)}${byte}${t.slice(20)}`]);
        // Node's parser answers 400 itself; should a framework ever let the byte through, Gatehouse's 401.
        if (response.status === 401) expectRawError(response, 401, ...INVALID);
        else expect(response.status).toBe(400);
      }
      await stillWorks('access token');
    });

    it.each([
      ['é (UTF-8) appended', Buffer.from('é', 'utf8')],
      ['an emoji (UTF-8) appended', Buffer.from('\u{1F511}', 'utf8')],
      ['a latin-1 byte 0xff appended', Buffer.from([0xff])],
      ['a UTF-8 BOM appended', Buffer.from([0xef, 0xbb, 0xbf])],
    ])('%s → 401 JSON', async (_label, bytes) => {
      for (const route of ROUTES) {
        const line = Buffer.concat([Buffer.from(`Authorization: Bearer ${genuine['access token']}`, 'latin1'), bytes]);
        expectRawError(await raw(server, route, [line]), 401, ...INVALID);
      }
      await stillWorks('access token');
    });

    it('a genuine token sent through the raw client works (the helper is sound)', async () => {
      const response = await raw(server, '/v1/projects', [`Authorization: Bearer ${genuine['access token']}`]);
      expect(response.status).toBe(200);
      expect((JSON.parse(response.body) as PrincipalBody).principal.userId).toBe(member.id);
    });
  });

  describe('duplicate Authorization headers', () => {
    it.each([
      ['garbage, then genuine', (t: string) => [`Authorization: Bearer garbage`, `Authorization: Bearer ${t}`]],
      [
        'alg-none forgery, then genuine',
        (t: string) => [`Authorization: Bearer ${FORGERIES[0]![1](t, 0)}`, `Authorization: Bearer ${t}`],
      ],
    ])('%s → 401 JSON', async (_label, lines) => {
      for (const route of ROUTES)
        expectRawError(await raw(server, route, lines(genuine['access token'])), 401, ...INVALID);
      await stillWorks('access token');
    });

    // Node keeps only the first Authorization of a request while a Fetch `Headers` joins them and a
    // proxy may have read the second: every adapter refuses the repetition instead of picking one.
    it('genuine, then garbage → 401 JSON too (no guessing which header counts)', async () => {
      const lines = [`Authorization: Bearer ${genuine['access token']}`, 'Authorization: Bearer garbage'];
      for (const route of ROUTES) expectRawError(await raw(server, route, lines), 401, ...INVALID);
    });

    it('genuine twice, in any case → 401 JSON', async () => {
      const t = genuine['access token'];
      for (const route of ROUTES)
        expectRawError(
          await raw(server, route, [`Authorization: Bearer ${t}`, `authorization: Bearer ${t}`]),
          401,
          ...INVALID,
        );
    });
  });

  describe('scheme and spacing', () => {
    it.each([
      ['bearer (lower case)', (t: string) => `bearer ${t}`],
      ['BEARER (upper case)', (t: string) => `BEARER ${t}`],
      ['bEaReR (mixed case)', (t: string) => `bEaReR ${t}`],
    ])('%s <genuine> → accepted, as Phoenix does', async (_label, header) => {
      const body = await expectJson<PrincipalBody>(
        await call(server, 'GET', '/v1/projects', { headers: { authorization: header(genuine['access token']) } }),
        200,
      );
      expect(body.principal.userId).toBe(member.id);
    });

    it.each([
      ['Bearer<TAB><genuine>', (t: string) => `Bearer\t${t}`],
      ['Basic <genuine>', (t: string) => `Basic ${t}`],
      [
        'Basic base64(user:password)',
        () => `Basic ${Buffer.from(`${DEFAULT_ADMIN.email}:${DEFAULT_ADMIN.password}`).toString('base64')}`,
      ],
      ['Token <genuine>', (t: string) => `Token ${t}`],
      ['Bearer: <genuine>', (t: string) => `Bearer: ${t}`],
      ['Bearer<genuine> (no space)', (t: string) => `Bearer${t}`],
      ['Bearer (no token)', () => 'Bearer'],
      ['<genuine> alone', (t: string) => t],
      ['Bearer <genuine> <genuine>', (t: string) => `Bearer ${t} ${t}`],
      ['Bearer <genuine>,Bearer x', (t: string) => `Bearer ${t},Bearer x`],
      ['Bearer "<genuine>"', (t: string) => `Bearer "${t}"`],
    ])('%s → 401 JSON, and the valid cookie sent alongside is not consulted', async (_label, header) => {
      for (const route of ROUTES) {
        const response = await call(server, 'GET', route, {
          headers: { authorization: header(genuine['access token']) },
          cookie: `${ACCESS_COOKIE}=${genuine['access token']}`,
        });
        await expectError(response, 401, ...INVALID);
      }
      await stillWorks('access token', 'cookie');
    });

    it('Bearer followed by two spaces before the genuine token → accepted (the token is trimmed)', async () => {
      const response = await raw(server, '/v1/projects', [`Authorization: Bearer  ${genuine['access token']}`]);
      expect(response.status).toBe(200);
    });

    it('Bearer followed by only spaces → 401 JSON (raw: fetch trims the value)', async () => {
      for (const route of ROUTES)
        expectRawError(await raw(server, route, ['Authorization: Bearer    ']), 401, ...INVALID);
    });
  });
});
