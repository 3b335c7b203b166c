/**
 * A hand-written, minimal OpenID provider for negative tests. With hostility 'none' it is a correct
 * OP (code flow, client_secret_basic/post, PKCE S256, single-use codes, RS256 ID tokens); every
 * other hostility breaks exactly one thing in the token or UserInfo response.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';

export type Hostility =
  | 'none'
  | 'alg_none'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_nonce'
  | 'expired'
  | 'tampered_signature'
  | 'missing_kid_several_keys'
  | 'userinfo_sub_mismatch'
  | 'no_id_token'
  | 'token_error'
  /** A DPoP-bound token where the RP asked for a Bearer one (docs/phoenix-contract.md#oauth2-callback step 8). */
  | 'dpop_token_type';

/** How `mintLogoutToken` builds a token: claims and header overridden (undefined deletes), or signed wrongly. */
export interface LogoutTokenRecipe {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** `spare`: a published key that is not the one the kid names; `foreign`: a key the JWKS never had; `hs256`: the client secret as an HMAC key. */
  signWith?: 'primary' | 'spare' | 'foreign' | 'hs256' | 'none';
  tamper?: boolean;
}

/** The IdP session id this provider puts in every ID token and, by default, in logout tokens. */
export const HOSTILE_SID = 'hostile-op-session-1';
export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface HostileProvider {
  issuer: string;
  discoveryUrl: string;
  clientId: string;
  clientSecret: string;
  setHostility(h: Hostility): void;
  /** A back-channel logout token for `clientId` (valid unless the recipe breaks it): iss, aud, iat, exp, jti, events, sub, sid. */
  mintLogoutToken(recipe?: LogoutTokenRecipe): Promise<string>;
  /** count of successful token-endpoint code redemptions, and codes redeemed twice are refused with invalid_grant */
  readonly tokenRequests: number;
  close(): Promise<void>;
}

/** The one user this provider knows. */
export const HOSTILE_ACCOUNT = Object.freeze({
  sub: 'hostile-sub-0001',
  email: 'hostile@example.test',
  email_verified: true,
  name: 'Hostile User',
});

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
interface SigningKey {
  kid: string;
  privateKey: KeyPair['privateKey'];
  publicJwk: JWK;
}

// Generated once per process: RSA key generation is the slow part of a start.
let keys: Promise<SigningKey[]> | undefined;
function signingKeys(): Promise<SigningKey[]> {
  const make = async (kid: string): Promise<SigningKey> => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  };
  keys ??= Promise.all([make('hostile-key-1'), make('hostile-key-2')]);
  return keys;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  redeemed: boolean;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const random = (): string => randomBytes(24).toString('base64url');
const epoch = (): number => Math.floor(Date.now() / 1000);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded before base64. */
function clientCredentials(
  req: http.IncomingMessage,
  body: URLSearchParams,
): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (header?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const unform = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  }
  const id = body.get('client_id');
  const secret = body.get('client_secret');
  return id !== null && secret !== null ? { id, secret } : undefined;
}

export async function startHostileProvider(): Promise<HostileProvider> {
  const [primary, spare] = await signingKeys();
  const clientId = 'hostile-client';
  const clientSecret = `hostile-secret-${random()}`;
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Set<string>();
  let hostility: Hostility = 'none';
  let tokenRequests = 0;

  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const metadata = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'email', 'profile'],
    claims_supported: ['sub', 'email', 'email_verified', 'name'],
    authorization_response_iss_parameter_supported: true,
  };

  async function idToken(code: IssuedCode): Promise<string> {
    const now = epoch();
    // Only `sub` under userinfo_sub_mismatch, so that the RP has to ask UserInfo for the rest.
    const claims: JWTPayload =
      hostility === 'userinfo_sub_mismatch' ? { sub: HOSTILE_ACCOUNT.sub } : { ...HOSTILE_ACCOUNT };
    if (code.nonce !== undefined) claims.nonce = code.nonce;
    if (hostility !== 'userinfo_sub_mismatch') claims.sid = HOSTILE_SID;
    if (hostility === 'wrong_nonce') claims.nonce = `not-${code.nonce ?? 'requested'}`;
    claims.iss = hostility === 'wrong_issuer' ? 'http://issuer.evil.example' : issuer;
    claims.aud = hostility === 'wrong_audience' ? 'some-other-client' : code.clientId;
    claims.iat = hostility === 'expired' ? now - 7200 : now;
    claims.exp = hostility === 'expired' ? now - 3600 : now + 300;

    if (hostility === 'alg_none')
      return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
    // Both keys are always published; only the missing kid makes the choice ambiguous.
    const header =
      hostility === 'missing_kid_several_keys'
        ? { alg: 'RS256', typ: 'JWT' }
        : { alg: 'RS256', typ: 'JWT', kid: primary!.kid };
    const jwt = await new SignJWT(claims).setProtectedHeader(header).sign(primary!.privateKey);
    if (hostility !== 'tampered_signature') return jwt;
    // The first signature character holds high bits of the first byte, so this changes the bytes.
    const cut = jwt.lastIndexOf('.') + 1;
    return `${jwt.slice(0, cut)}${jwt[cut] === 'A' ? 'B' : 'A'}${jwt.slice(cut + 1)}`;
  }

  function authorize(url: URL, res: http.ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== clientId || !redirectUri || q.get('response_type') !== 'code') {
      throw new OAuthError(400, 'invalid_request', 'unknown client, missing redirect_uri or unsupported response_type');
    }
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge !== undefined && q.get('code_challenge_method') !== 'S256')
      throw new OAuthError(400, 'invalid_request', 'only S256 is supported');
    const code = random();
    codes.set(code, {
      clientId,
      redirectUri,
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: challenge,
      redeemed: false,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const state = q.get('state');
    if (state !== null) target.searchParams.set('state', state);
    target.searchParams.set('iss', issuer);
    res.writeHead(302, { location: target.href });
    res.end();
  }

  async function token(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const credentials = clientCredentials(req, body);
    if (!credentials || credentials.id !== clientId || !sameSecret(credentials.secret, clientSecret)) {
      throw new OAuthError(401, 'invalid_client', 'client authentication failed');
    }
    if (hostility === 'token_error')
      throw new OAuthError(400, 'invalid_request', 'hostile provider refuses every code');
    if (body.get('grant_type') !== 'authorization_code')
      throw new OAuthError(400, 'unsupported_grant_type', 'only authorization_code');
    const issued = codes.get(body.get('code') ?? '');
    if (!issued || issued.redeemed) throw new OAuthError(400, 'invalid_grant', 'unknown or already used code');
    // Spent by the first attempt, whatever its outcome.
    issued.redeemed = true;
    if (body.get('redirect_uri') !== issued.redirectUri)
      throw new OAuthError(400, 'invalid_grant', 'redirect_uri mismatch');
    const verifier = body.get('code_verifier');
    if (issued.codeChallenge !== undefined) {
      const computed = verifier === null ? '' : createHash('sha256').update(verifier).digest('base64url');
      if (computed !== issued.codeChallenge) throw new OAuthError(400, 'invalid_grant', 'PKCE verification failed');
    } else if (verifier !== null) {
      throw new OAuthError(400, 'invalid_grant', 'code_verifier without a code_challenge');
    }

    const accessToken = random();
    accessTokens.add(accessToken);
    const response: Record<string, unknown> = {
      access_token: accessToken,
      token_type: hostility === 'dpop_token_type' ? 'DPoP' : 'Bearer',
      expires_in: 300,
      scope: 'openid email profile',
    };
    if (hostility !== 'no_id_token') response.id_token = await idToken(issued);
    tokenRequests += 1;
    send(res, 200, response);
  }

  function userinfo(req: http.IncomingMessage, res: http.ServerResponse): void {
    const header = req.headers.authorization ?? '';
    const bearer = /^bearer (.+)$/i.exec(header)?.[1];
    if (!bearer || !accessTokens.has(bearer)) {
      send(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    const sub = hostility === 'userinfo_sub_mismatch' ? 'somebody-else-0002' : HOSTILE_ACCOUNT.sub;
    send(res, 200, { ...HOSTILE_ACCOUNT, sub });
  }

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const handle = async (): Promise<void> => {
      switch (route) {
        case 'GET /.well-known/openid-configuration':
          return send(res, 200, metadata);
        case 'GET /jwks':
          return send(res, 200, { keys: [primary!.publicJwk, spare!.publicJwk] });
        case 'GET /authorize':
          return authorize(url, res);
        case 'POST /token':
          return token(req, res);
        case 'GET /userinfo':
        case 'POST /userinfo':
          return userinfo(req, res);
        default:
          throw new OAuthError(404, 'not_found', route);
      }
    };
    handle().catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof OAuthError) {
        // RFC 6749 §5.2 (and oidc-provider): a failed Basic authentication carries a challenge.
        const challenge =
          error.status === 401 && req.headers.authorization !== undefined
            ? { 'www-authenticate': `Basic realm="${issuer}", error="${error.error}"` }
            : undefined;
        return send(res, error.status, { error: error.error, error_description: error.message }, challenge);
      }
      send(res, 500, { error: 'server_error', error_description: String(error) });
    });
  });

  const foreign = generateKeyPair('RS256');
  async function mintLogoutToken(recipe: LogoutTokenRecipe = {}): Promise<string> {
    const now = epoch();
    const claims: Record<string, unknown> = {
      iss: issuer,
      aud: clientId,
      iat: now,
      exp: now + 120,
      jti: random(),
      events: { [BACKCHANNEL_EVENT]: {} },
      sub: HOSTILE_ACCOUNT.sub,
      sid: HOSTILE_SID,
      ...recipe.claims,
    };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    const signWith = recipe.signWith ?? 'primary';
    const header: Record<string, unknown> = {
      alg: signWith === 'hs256' ? 'HS256' : signWith === 'none' ? 'none' : 'RS256',
      typ: 'logout+jwt',
      kid: primary!.kid,
      ...recipe.header,
    };
    for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
    if (signWith === 'none') return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.`;
    const key =
      signWith === 'hs256'
        ? new TextEncoder().encode(clientSecret)
        : signWith === 'spare'
          ? spare!.privateKey
          : signWith === 'foreign'
            ? (await foreign).privateKey
            : primary!.privateKey;
    const jwt = await new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
    if (!recipe.tamper) return jwt;
    const cut = jwt.lastIndexOf('.') + 1;
    return `${jwt.slice(0, cut)}${jwt[cut] === 'A' ? 'B' : 'A'}${jwt.slice(cut + 1)}`;
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    clientId,
    clientSecret,
    setHostility(h) {
      hostility = h;
    },
    mintLogoutToken,
    get tokenRequests() {
      return tokenRequests;
    },
    async close() {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeAllConnections();
      await closed;
    },
  };
}
