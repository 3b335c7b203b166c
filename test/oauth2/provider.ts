/**
 * A real OpenID provider (oidc-provider) on an ephemeral loopback port, for the relying-party tests.
 * The user agent logs in through a tiny HTML form; consent is implied. Every provider has its own
 * accounts, storage and keys-in-use, so test files can run several side by side.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import Provider, {
  type AdapterFactory,
  type AdapterPayload,
  type ClientMetadata,
  type Configuration,
  type InteractionResults,
  type KoaContextWithOIDC,
} from 'oidc-provider';

export interface TestAccount {
  sub: string;
  email: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
  [claim: string]: unknown;
}

export interface TestProvider {
  /** http://127.0.0.1:<port> */
  issuer: string;
  /** issuer + '/.well-known/openid-configuration' */
  discoveryUrl: string;
  clients: {
    basic: { id: string; secret: string };
    post: { id: string; secret: string };
    public: { id: string };
    assertion: { id: string };
    logout: { id: string; secret: string };
  };
  /**
   * A fresh RFC 7523 client assertion for the `assertion` client (private_key_jwt), as a workload-identity
   * platform would write into a file: iss = sub = client id, aud = the token endpoint, a new jti each time.
   */
  mintClientAssertion(options?: { expiresInSeconds?: number }): Promise<string>;
  /**
   * Where the provider sends the `logout` client's back-channel logout tokens (the RP's port is not
   * known when the client is registered). Unset: a placeholder nobody listens on.
   */
  setBackchannelLogoutUri(uri: string | null): void;
  /** Every back-channel logout the provider attempted, in order: the target and whether the RP answered 200. */
  readonly backchannelDeliveries: readonly { readonly uri: string; readonly ok: boolean; readonly error?: string }[];
  /** Replace or add an account (claims as returned in ID token AND userinfo); takes effect on the next login. */
  setAccount(id: string, account: TestAccount): void;
  /** Claims for the next logins go ONLY to userinfo, not the ID token (to test the UserInfo top-up). */
  setIdTokenClaimsMinimal(on: boolean): void;
  /**
   * How the next logins at the provider authenticated the user: the `acr` and `amr` of their ID
   * tokens (an `acr` must be one of ACR_VALUES). Unset (the default): neither claim is issued.
   */
  setAuthentication(authentication: { acr?: string; amr?: string[] } | null): void;
  close(): Promise<void>;
}

const account = (a: TestAccount): TestAccount => Object.freeze(a);

/** The authentication context classes the provider advertises (`acr_values_supported`). */
export const ACR_VALUES = Object.freeze({
  password: 'urn:gatehouse:test:loa:password',
  mfa: 'urn:gatehouse:test:loa:mfa',
});

/** Keyed by the login name typed into the form; `sub` is deliberately different from it. */
export const DEFAULT_ACCOUNTS: Readonly<Record<string, TestAccount>> = Object.freeze({
  owner: account({
    sub: 'sub-owner-1001',
    email: 'owner@example.test',
    email_verified: true,
    name: 'Olivia Owner',
    picture: 'https://example.test/avatars/owner.png',
    groups: ['staff', 'owners'],
    role: 'Owner',
  }),
  developer: account({
    sub: 'sub-developer-1002',
    email: 'developer@example.test',
    email_verified: true,
    name: 'Devon Developer',
    role: 'Developer',
  }),
  nobody: account({ sub: 'sub-nobody-1003', email: 'nobody@example.test', email_verified: true, name: 'Nora Nobody' }),
  sysuser: account({
    sub: 'sub-sysuser-1004',
    email: 'sysuser@example.test',
    email_verified: true,
    name: 'Sys User',
    role: 'SYSTEM',
  }),
  nested: account({
    sub: 'sub-nested-1005',
    email: 'nested@example.test',
    email_verified: true,
    name: 'Ned Nested',
    resource_access: { phoenix: { roles: ['admin'] } },
  }),
  namespaced: account({
    sub: 'sub-namespaced-1006',
    email: 'namespaced@example.test',
    email_verified: true,
    name: 'Nina Namespaced',
    'https://myapp.com/groups': ['eng'],
    'cognito:groups': ['eng'],
  }),
});

/** Claims an IdP typically puts in every ID token; listed under `openid` so the RP's baseline scopes get them. */
const CUSTOM_CLAIMS = ['groups', 'role', 'resource_access', 'https://myapp.com/groups', 'cognito:groups'];
const STANDARD_CLAIMS = [
  'sub',
  'email',
  'email_verified',
  'name',
  'picture',
  'preferred_username',
  'given_name',
  'family_name',
];

const CLIENTS = {
  basic: { id: 'gatehouse-basic', secret: 'basic-secret-basic-secret-basic-secret-0001' },
  post: { id: 'gatehouse-post', secret: 'post-secret-post-secret-post-secret-00000002' },
  public: { id: 'gatehouse-public' },
  assertion: { id: 'gatehouse-assertion' },
  // OpenID Connect logout: back-channel logout (with sid) and RP-initiated logout to the RP's signed-out route.
  logout: { id: 'gatehouse-logout', secret: 'logout-secret-logout-secret-logout-secret-003' },
} as const;

const PLACEHOLDER_BACKCHANNEL = 'http://127.0.0.1:1/oauth2/placeholder/backchannel-logout';

// The key the assertion client's platform signs with; the provider knows its public half.
let assertionKey: Promise<{ privateKey: CryptoKey; jwk: JWK }> | undefined;
function clientAssertionKey(): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  assertionKey ??= generateKeyPair('ES256', { extractable: true }).then(async ({ privateKey, publicKey }) => ({
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid: 'test-client-assertion', alg: 'ES256', use: 'sig' },
  }));
  return assertionKey;
}

/** The RP's post-logout redirect (`/oauth2/<idp>/signed-out`), on any loopback port and under any mount path. */
function isRpSignedOut(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    url.protocol === 'http:' &&
    url.hostname === '127.0.0.1' &&
    url.search === '' &&
    url.hash === '' &&
    /(?:^|\/)oauth2\/[^/]+\/signed-out$/.test(url.pathname)
  );
}

/** The RP's callback, on any loopback port and under any mount path. */
function isRpCallback(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    url.protocol === 'http:' &&
    url.hostname === '127.0.0.1' &&
    url.search === '' &&
    url.hash === '' &&
    /(?:^|\/)oauth2\/[^/]+\/tokens$/.test(url.pathname)
  );
}

// One signing key per process: RSA generation costs more than the rest of a provider start.
let signingKey: Promise<JWK> | undefined;
function testSigningKey(): Promise<JWK> {
  signingKey ??= generateKeyPair('RS256', { extractable: true }).then(async ({ privateKey }) => ({
    ...(await exportJWK(privateKey)),
    kid: 'test-provider-rs256',
    alg: 'RS256',
    use: 'sig',
  }));
  return signingKey;
}

/**
 * Storage private to one provider. oidc-provider's built-in memory adapter is shared by every
 * instance in the process and warns on each start.
 */
function memoryAdapter(): AdapterFactory {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const live = (key: string): AdapterPayload | undefined => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) store.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  };
  return (model) => {
    const key = (id: string): string => `${model}:${id}`;
    const findBy = async (field: 'uid' | 'userCode', value: string) => {
      for (const [k, entry] of store) if (k.startsWith(`${model}:`) && entry.payload[field] === value) return live(k);
      return undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        store.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      },
      async find(id) {
        return live(key(id));
      },
      findByUid: (uid) => findBy('uid', uid),
      findByUserCode: (userCode) => findBy('userCode', userCode),
      async consume(id) {
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, entry] of store) if (entry.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string): string {
  return (
    `<!doctype html><html><head><title>Test provider sign-in</title></head><body>` +
    `<form method="post" action="/interaction/${escapeHtml(uid)}/login">` +
    `<input name="login" autofocus><button type="submit">Sign in</button></form></body></html>`
  );
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** First-party test clients: whatever the RP asks for is granted without a consent page. */
async function autoConsent(ctx: KoaContextWithOIDC) {
  const { client, session, provider } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  const grant =
    existing?.accountId === session.accountId
      ? existing
      : new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const scope = ctx.oidc.params?.scope;
  grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid');
  await grant.save();
  return grant;
}

export async function startTestProvider(
  options: { accounts?: Record<string, TestAccount> } = {},
): Promise<TestProvider> {
  const accounts = new Map(
    Object.entries(options.accounts ?? DEFAULT_ACCOUNTS).map(([id, a]) => [id, structuredClone(a)]),
  );
  const extraClaims = [...new Set([...accounts.values()].flatMap((a) => Object.keys(a)))].filter(
    (claim) => !STANDARD_CLAIMS.includes(claim) && !CUSTOM_CLAIMS.includes(claim),
  );
  const supported = new Set([...STANDARD_CLAIMS, ...CUSTOM_CLAIMS, ...extraClaims]);
  let minimalIdToken = false;
  let authentication: { acr?: string; amr?: string[] } | null = null;

  // The issuer carries the real port, so listen first and build the provider afterwards.
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const bySub = (sub: string): TestAccount | undefined => [...accounts.values()].find((a) => a.sub === sub);
  const configuration: Configuration = {
    adapter: memoryAdapter(),
    clients: (
      [
        {
          client_id: CLIENTS.basic.id,
          client_secret: CLIENTS.basic.secret,
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: CLIENTS.post.id,
          client_secret: CLIENTS.post.secret,
          token_endpoint_auth_method: 'client_secret_post',
        },
        { client_id: CLIENTS.public.id, token_endpoint_auth_method: 'none' },
        {
          client_id: CLIENTS.assertion.id,
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [(await clientAssertionKey()).jwk] },
        },
        {
          client_id: CLIENTS.logout.id,
          client_secret: CLIENTS.logout.secret,
          token_endpoint_auth_method: 'client_secret_basic',
          backchannel_logout_uri: PLACEHOLDER_BACKCHANNEL,
          backchannel_logout_session_required: true,
          post_logout_redirect_uris: ['http://127.0.0.1:1/oauth2/placeholder/signed-out'],
        },
      ] satisfies ClientMetadata[]
    ).map((c): ClientMetadata => ({
      ...c,
      // A placeholder: the real check is `isRpCallback` below, since the RP's port is not known yet.
      redirect_uris: ['http://127.0.0.1:1/oauth2/placeholder/tokens'],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    })),
    // oidc-provider's default: PKCE required for public clients, accepted (S256) from the others.
    claims: {
      // `acr` and `amr` under `openid`, so every ID token carries them when the login set them
      // (setAuthentication); otherwise oidc-provider issues them only when the RP asks for them.
      openid: ['sub', 'acr', 'amr', ...CUSTOM_CLAIMS, ...extraClaims],
      email: ['email', 'email_verified'],
      profile: ['name', 'picture', 'preferred_username', 'given_name', 'family_name'],
      groups: CUSTOM_CLAIMS,
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    // Without a configured value oidc-provider drops `acr` from every ID token.
    acrValues: Object.values(ACR_VALUES),
    // Otherwise scope claims go only to userinfo when an access token is issued.
    conformIdTokenClaims: false,
    cookies: { keys: ['test-provider-cookie-key-0001'] },
    jwks: { keys: [await testSigningKey()] },
    // Its outgoing calls (back-channel logout) refuse loopback addresses, to stop SSRF: the RPs
    // under test all listen on 127.0.0.1, so this test provider drops that guard.
    fetch: (url, options) => {
      const { dispatcher: _ssrfGuard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return fetch(url, rest);
    },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The confirmation every RP-initiated logout shows; the test user agent submits it (test/oauth2/browser.ts).
        logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body =
            `<!doctype html><html><head><title>Sign out</title></head><body>${form}` +
            `<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button></body></html>`;
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    loadExistingGrant: autoConsent,
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html><body><h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p></body></html>`;
    },
    findAccount(_ctx, sub) {
      if (!bySub(sub)) return undefined;
      return {
        accountId: sub,
        // Read at token time, so setAccount/setIdTokenClaimsMinimal apply to the next login.
        claims: (use) => {
          const current = bySub(sub) ?? { sub };
          return use === 'id_token' && minimalIdToken ? { sub } : { ...current };
        },
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(
    this: { redirectUris?: string[] },
    value: string,
  ) {
    return isRpCallback(value) || (this.redirectUris ?? []).includes(value);
  };
  provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(
    this: { postLogoutRedirectUris?: string[] },
    value: string,
  ) {
    return isRpSignedOut(value) || (this.postLogoutRedirectUris ?? []).includes(value);
  };
  let backchannelTarget: string | null = null;
  const deliveries: { uri: string; ok: boolean; error?: string }[] = [];
  type LogoutClient = {
    backchannelLogoutUri?: string;
    backchannelLogout: (this: LogoutClient, sub: string, sid: string) => Promise<void>;
  };
  const sendBackchannel = (provider.Client.prototype as unknown as LogoutClient).backchannelLogout;
  (provider.Client.prototype as unknown as LogoutClient).backchannelLogout = async function backchannelLogout(
    this: LogoutClient,
    sub: string,
    sid: string,
  ) {
    this.backchannelLogoutUri = backchannelTarget ?? PLACEHOLDER_BACKCHANNEL;
    const uri = this.backchannelLogoutUri;
    try {
      await sendBackchannel.call(this, sub, sid);
      deliveries.push({ uri, ok: true });
    } catch (error) {
      deliveries.push({ uri, ok: false, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };

  provider.use(async (ctx, next) => {
    const route = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
    if (!route) {
      await next();
      return;
    }
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET' && !route[2]) {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid);
      return;
    }
    if (ctx.method === 'POST' && route[2]) {
      const login = (await readForm(ctx.req)).get('login') ?? '';
      const found = accounts.get(login);
      const result: InteractionResults = found
        ? // oidc-provider uses the accountId as the `sub` of every token.
          { login: { accountId: found.sub, ...authentication } }
        : { error: 'access_denied', error_description: 'unknown account' };
      ctx.status = 303;
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
      return;
    }
    await next();
  });
  const handle = provider.callback();
  server.on('request', (req, res) => void handle(req, res));

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    clients: {
      basic: { ...CLIENTS.basic },
      post: { ...CLIENTS.post },
      public: { ...CLIENTS.public },
      assertion: { ...CLIENTS.assertion },
      logout: { ...CLIENTS.logout },
    },
    setBackchannelLogoutUri(uri) {
      backchannelTarget = uri;
    },
    backchannelDeliveries: deliveries,
    async mintClientAssertion({ expiresInSeconds = 300 } = {}) {
      const { privateKey } = await clientAssertionKey();
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'test-client-assertion' })
        .setIssuer(CLIENTS.assertion.id)
        .setSubject(CLIENTS.assertion.id)
        .setAudience(`${issuer}/token`)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
        .sign(privateKey);
    },
    setAccount(id, next) {
      const unknown = Object.keys(next).filter((claim) => !supported.has(claim));
      // A claim the provider was not configured with would silently vanish from the tokens.
      if (unknown.length)
        throw new Error(
          `test provider: claims ${unknown.join(', ')} are not supported; pass them in startTestProvider({ accounts })`,
        );
      accounts.set(id, structuredClone(next));
    },
    setIdTokenClaimsMinimal(on) {
      minimalIdToken = on;
    },
    setAuthentication(next) {
      if (next?.acr !== undefined && !Object.values<string>(ACR_VALUES).includes(next.acr))
        throw new Error(`test provider: acr ${next.acr} is not one of ACR_VALUES`);
      authentication = next === null ? null : { ...next };
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
