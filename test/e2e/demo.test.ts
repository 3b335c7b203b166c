import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBrowser } from '../oauth2/browser.js';
import { DEFAULT_ACCOUNTS, startTestProvider } from '../oauth2/provider.js';
import { exited, serverJs, spawnDemo, startDemo, type Demo } from '../support/demo-process.js';

/** `name=value; ...` from a response's Set-Cookie headers (deleted cookies left out). */
function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';', 1)[0]!)
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

async function login(url: string, email: string, password: string): Promise<Response> {
  return fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
}

function call(
  url: string,
  method: string,
  path: string,
  auth: { cookie?: string; bearer?: string },
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The body, typed by the caller: the assertions that follow check it. */
async function jsonOf<T = unknown>(response: Response): Promise<T> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as T;
}

interface Data<T> {
  data: T;
}
interface Project {
  id: number;
  name: string;
  description: string | null;
}
interface Dataset {
  id: number;
  examples: unknown[];
}
interface Experiment {
  id: number;
}
interface Trace {
  spans: { span_id: string }[];
}

let workingDir: string;

beforeAll(() => {
  if (!existsSync(serverJs)) throw new Error(`${serverJs} is missing: run \`npm run build\` first`);
  workingDir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
});

afterAll(() => {
  rmSync(workingDir, { recursive: true, force: true });
});

describe('the demo server', () => {
  let demo: Demo;
  let adminCookie: string;
  let projectId: number;
  let systemKey: string;

  beforeAll(async () => {
    demo = await startDemo(workingDir);
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it('starts with no setup: one start line, a generated secret kept 0600 and never printed', () => {
    const secretPath = join(workingDir, 'demo-secret');
    const secret = readFileSync(secretPath, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(secretPath).mode & 0o777).toBe(0o600);
    expect(existsSync(join(workingDir, 'phoenix.db'))).toBe(true);

    const lines = demo.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `Gatehouse demo listening on ${demo.url} | store: sqlite (${join(workingDir, 'phoenix.db')}) | auth: on | ` +
        "created the default admin admin@localhost with password 'admin'; change it after logging in",
    );
    expect(demo.stderr()).toBe(
      `warn: PHOENIX_SECRET is not set; generated a signing secret and saved it to ${secretPath} (mode 0600). Set PHOENIX_SECRET outside this demo.\n` +
        "warn: bootstrap: created the default admin admin@localhost with the well-known password 'admin': sign in and change it { email: 'admin@localhost' }\n",
    );
    expect(demo.stdout() + demo.stderr()).not.toContain(secret);
  });

  it('refuses an anonymous call with the JSON 401', async () => {
    const response = await call(demo.url, 'GET', '/v1/projects', {});
    expect(response.status).toBe(401);
    expect(await jsonOf(response)).toEqual({ error: { code: 'unauthenticated', message: 'Authentication required' } });
  });

  it('answers 404 JSON for an unknown route once authenticated, and leaves /healthz open', async () => {
    const response = await login(demo.url, 'admin@localhost', 'admin');
    expect(response.status).toBe(204);
    adminCookie = cookiesOf(response);
    expect(adminCookie).toMatch(/^phoenix-access-token=[^;]+; phoenix-refresh-token=[^;]+$/);

    const missing = await call(demo.url, 'GET', '/v1/nothing-here', { cookie: adminCookie });
    expect(missing.status).toBe(404);
    expect(await jsonOf(missing)).toEqual({ error: { code: 'not_found', message: 'Not found' } });
  });

  it('creates and lists projects for the admin', async () => {
    const created = await call(
      demo.url,
      'POST',
      '/v1/projects',
      { cookie: adminCookie },
      { name: 'chatbot', description: 'first' },
    );
    expect(created.status).toBe(201);
    const project = (await jsonOf<Data<Project>>(created)).data;
    expect(project).toMatchObject({ name: 'chatbot', description: 'first' });
    projectId = project.id;

    const list = await call(demo.url, 'GET', '/v1/projects', { cookie: adminCookie });
    expect(list.status).toBe(200);
    expect(await jsonOf(list)).toEqual({ data: [project], next_cursor: null });

    const byName = await call(demo.url, 'GET', '/v1/projects/chatbot', { cookie: adminCookie });
    expect((await jsonOf<Data<Project>>(byName)).data).toEqual(project);

    const updated = await call(
      demo.url,
      'PUT',
      `/v1/projects/${projectId}`,
      { cookie: adminCookie },
      { description: 'second' },
    );
    expect(updated.status).toBe(200);
    expect((await jsonOf<Data<Project>>(updated)).data).toMatchObject({
      id: projectId,
      name: 'chatbot',
      description: 'second',
    });
  });

  it.each([
    ['POST', '/v1/projects', {}, 422, 'invalid_input', 'name must be a non-empty string'],
    ['POST', '/v1/projects', { name: 'chatbot' }, 409, 'conflict', "A project named 'chatbot' already exists"],
    ['GET', '/v1/projects/404404', undefined, 404, 'not_found', 'Project not found: 404404'],
    ['GET', '/v1/datasets/not-a-number', undefined, 422, 'invalid_input', "Invalid dataset id: 'not-a-number'"],
    ['GET', '/v1/datasets/777', undefined, 404, 'not_found', 'Dataset not found: 777'],
    [
      'POST',
      '/v1/datasets/upload',
      { name: 'd', examples: [] },
      422,
      'invalid_input',
      'examples must be a non-empty array',
    ],
    [
      'POST',
      '/v1/datasets/upload',
      { name: 'd', examples: [{ input: 1 }] },
      422,
      'invalid_input',
      'examples[0].input must be a JSON object',
    ],
    ['GET', '/v1/experiments/5', undefined, 404, 'not_found', 'Experiment not found: 5'],
    [
      'POST',
      '/v1/traces',
      { resourceSpans: {} },
      422,
      'invalid_input',
      'Request body is invalid ExportTraceServiceRequest: resourceSpans: array expected',
    ],
    [
      'POST',
      '/v1/span_annotations',
      { data: [{ span_id: 'nope', name: 'q', annotator_kind: 'HUMAN', result: { score: 1 } }] },
      404,
      'not_found',
      'Spans with IDs nope do not exist',
    ],
    [
      'POST',
      '/v1/span_annotations',
      { data: [{ span_id: 'x', name: 'q', annotator_kind: 'ROBOT', result: {} }] },
      422,
      'invalid_input',
      'data[0].annotator_kind must be one of HUMAN, LLM, CODE',
    ],
  ])('%s %s %j → %i %s', async (method, path, body, status, code, message) => {
    const response = await call(demo.url, method, path, { cookie: adminCookie }, body);
    expect(response.status).toBe(status);
    expect(await jsonOf(response)).toEqual({ error: { code, message } });
  });

  it('stores datasets, experiments, traces and span annotations', async () => {
    const auth = { cookie: adminCookie };
    const upload = await call(demo.url, 'POST', '/v1/datasets/upload', auth, {
      name: 'questions',
      examples: [{ input: { q: 'hi' }, output: { a: 'hello' } }, { input: { q: 'bye' } }],
    });
    expect(upload.status).toBe(201);
    const dataset = (await jsonOf<Data<Dataset>>(upload)).data;
    expect(dataset).toMatchObject({ name: 'questions', description: null, example_count: 2 });

    const fetched = await jsonOf<Data<Dataset>>(await call(demo.url, 'GET', `/v1/datasets/${dataset.id}`, auth));
    expect(fetched.data.examples).toEqual([
      { input: { q: 'hi' }, output: { a: 'hello' }, metadata: {} },
      { input: { q: 'bye' }, output: {}, metadata: {} },
    ]);

    const started = await call(demo.url, 'POST', `/v1/datasets/${dataset.id}/experiments`, auth, {
      name: 'baseline',
      metadata: { model: 'm1' },
    });
    expect(started.status).toBe(201);
    const experiment = (await jsonOf<Data<Experiment>>(started)).data;
    expect(experiment).toMatchObject({ dataset_id: dataset.id, name: 'baseline', metadata: { model: 'm1' } });
    expect(
      (await jsonOf<Data<Experiment>>(await call(demo.url, 'GET', `/v1/experiments/${experiment.id}`, auth))).data,
    ).toEqual(experiment);
    expect(
      (await jsonOf<Data<Experiment[]>>(await call(demo.url, 'GET', `/v1/datasets/${dataset.id}/experiments`, auth)))
        .data,
    ).toEqual([experiment]);

    // OTLP/JSON, as an OpenTelemetry exporter sends it (test/e2e/phoenix-clients.test.ts covers protobuf).
    const nanos = (iso: string) => `${BigInt(Date.parse(iso)) * 1_000_000n}`;
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spans = [
      {
        traceId: trace,
        spanId: '00f067aa0ba902b7',
        name: 'root',
        startTimeUnixNano: nanos('2025-01-01T00:00:00Z'),
        endTimeUnixNano: nanos('2025-01-01T00:00:02Z'),
      },
      {
        traceId: trace,
        spanId: '00f067aa0ba902b8',
        parentSpanId: '00f067aa0ba902b7',
        name: 'llm',
        startTimeUnixNano: nanos('2025-01-01T00:00:01Z'),
        endTimeUnixNano: nanos('2025-01-01T00:00:02Z'),
        attributes: [{ key: 'tokens', value: { intValue: '7' } }],
      },
    ];
    const otlp = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'openinference.project.name', value: { stringValue: 'chatbot' } }] },
          scopeSpans: [{ spans }],
        },
      ],
    };
    const ingested = await call(demo.url, 'POST', '/v1/traces', auth, otlp);
    expect(ingested.status).toBe(200);
    expect(await jsonOf(ingested)).toEqual({});
    // An exporter retrying the same batch stores nothing twice.
    const replay = await call(demo.url, 'POST', '/v1/traces', auth, otlp);
    expect(replay.status).toBe(200);

    const traces = await jsonOf<Data<Trace[]>>(await call(demo.url, 'GET', '/v1/traces?project_name=chatbot', auth));
    expect(traces.data).toHaveLength(1);
    expect(traces.data[0]).toMatchObject({
      trace_id: trace,
      project_name: 'chatbot',
      start_time: '2025-01-01T00:00:00.000Z',
      end_time: '2025-01-01T00:00:02.000Z',
    });
    expect(traces.data[0]!.spans.map((span) => span.span_id)).toEqual(['00f067aa0ba902b7', '00f067aa0ba902b8']);
    expect(traces.data[0]!.spans[1]).toMatchObject({ parent_id: '00f067aa0ba902b7', attributes: { tokens: 7 } });

    const annotated = await call(demo.url, 'POST', '/v1/span_annotations', auth, {
      data: [
        {
          span_id: '00f067aa0ba902b8',
          name: 'correctness',
          annotator_kind: 'HUMAN',
          result: { label: 'correct', score: 1 },
        },
      ],
    });
    expect(annotated.status).toBe(201);
    expect((await jsonOf<Data<unknown>>(annotated)).data).toEqual([{ id: expect.any(Number) }]);

    expect((await call(demo.url, 'DELETE', `/v1/datasets/${dataset.id}`, auth)).status).toBe(204);
    expect((await call(demo.url, 'GET', `/v1/experiments/${experiment.id}`, auth)).status).toBe(404);
  });

  it('holds the viewer rules: a VIEWER reads but cannot write', async () => {
    const created = await call(
      demo.url,
      'POST',
      '/v1/users',
      { cookie: adminCookie },
      {
        user: {
          email: 'viewer@example.com',
          username: 'viewer',
          role: 'VIEWER',
          auth_method: 'LOCAL',
          password: 'viewer-pass-1',
        },
      },
    );
    expect(created.status).toBe(201);
    const loggedIn = await login(demo.url, 'viewer@example.com', 'viewer-pass-1');
    expect(loggedIn.status).toBe(204);
    const viewer = { cookie: cookiesOf(loggedIn) };

    const list = await call(demo.url, 'GET', '/v1/projects', viewer);
    expect(list.status).toBe(200);
    expect((await jsonOf<Data<Project[]>>(list)).data.map((project) => project.name)).toEqual(['chatbot']);

    const write = await call(demo.url, 'POST', '/v1/projects', viewer, { name: 'mine' });
    expect(write.status).toBe(403);
    expect(await jsonOf(write)).toEqual({
      error: {
        code: 'forbidden',
        message: 'This action requires the MEMBER or ADMIN role: viewers have read-only access.',
      },
    });
    expect((await call(demo.url, 'POST', '/v1/traces', viewer, { spans: [] })).status).toBe(403);
  });

  it('accepts a system API key as a Bearer token; the key is not an admin', async () => {
    const minted = await call(
      demo.url,
      'POST',
      '/v1/system/api_keys',
      { cookie: adminCookie },
      { data: { name: 'ingest' } },
    );
    expect(minted.status).toBe(201);
    systemKey = (await jsonOf<Data<{ key: string }>>(minted)).data.key;

    const list = await call(demo.url, 'GET', '/v1/projects', { bearer: systemKey });
    expect(list.status).toBe(200);
    const remove = await call(demo.url, 'DELETE', `/v1/projects/${projectId}`, { bearer: systemKey });
    expect(remove.status).toBe(403);
    expect(await jsonOf(remove)).toEqual({
      error: { code: 'forbidden', message: 'This action requires the ADMIN role.' },
    });
  });

  it('keeps the project, the changed admin password and the signing secret across a restart', async () => {
    const changed = await call(
      demo.url,
      'PATCH',
      '/v1/user',
      { cookie: adminCookie },
      { current_password: 'admin', password: 'changed-pw-42' },
    );
    expect(changed.status).toBe(200);

    expect(await demo.stop()).toBe(0);
    expect(demo.stdout()).toContain('SIGTERM: shutting down');
    demo = await startDemo(workingDir);

    expect(demo.stdout()).toMatch(
      /^Gatehouse demo listening on http:\/\/127\.0\.0\.1:\d+ \| store: sqlite \(.*\) \| auth: on\n$/,
    );
    expect(demo.stderr()).toContain('using the signing secret saved in');

    expect((await login(demo.url, 'admin@localhost', 'admin')).status).toBe(401);
    const again = await login(demo.url, 'admin@localhost', 'changed-pw-42');
    expect(again.status).toBe(204);
    const list = await jsonOf<Data<Project[]>>(
      await call(demo.url, 'GET', '/v1/projects', { cookie: cookiesOf(again) }),
    );
    expect(list.data).toEqual([expect.objectContaining({ id: projectId, name: 'chatbot', description: 'second' })]);

    // Signed with the persisted secret, the key minted before the restart still verifies.
    expect((await call(demo.url, 'GET', '/v1/projects', { bearer: systemKey })).status).toBe(200);
  });
});

describe('the demo with single sign-on', () => {
  it('signs a new user up through the configured OpenID provider and lands on the return URL', async () => {
    const provider = await startTestProvider();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-sso-'));
    let demo: Demo | undefined;
    try {
      demo = await startDemo(dir, {
        PHOENIX_OAUTH2_TESTIDP_DISPLAY_NAME: 'Test IdP',
        PHOENIX_OAUTH2_TESTIDP_CLIENT_ID: provider.clients.basic.id,
        PHOENIX_OAUTH2_TESTIDP_CLIENT_SECRET: provider.clients.basic.secret,
        PHOENIX_OAUTH2_TESTIDP_OIDC_CONFIG_URL: provider.discoveryUrl,
        PHOENIX_OAUTH2_TESTIDP_ROLE_ATTRIBUTE_PATH: 'role',
        PHOENIX_OAUTH2_TESTIDP_ROLE_MAPPING: 'Owner:ADMIN,Developer:MEMBER',
      });
      const config = await jsonOf<{ oauth2_idps: unknown }>(await fetch(`${demo.url}/auth/config`));
      expect(config.oauth2_idps).toEqual([{ name: 'testidp', display_name: 'Test IdP' }]);
      const browser = createBrowser();
      const app = new URL(demo.url);
      const { hops } = await browser.follow(
        `${demo.url}/oauth2/testidp/login?returnUrl=${encodeURIComponent('/v1/projects')}`,
        {
          login: 'developer',
          stopAt: (url) => url.host === app.host && !url.pathname.includes('/oauth2/'),
        },
      );
      expect(hops.at(-1)).toMatchObject({ status: 302, location: '/v1/projects' });
      const me = await jsonOf<Data<{ email: string; role: string }>>(
        await call(demo.url, 'GET', '/v1/user', { cookie: browser.cookieHeader(demo.url) }),
      );
      expect(me.data).toMatchObject({ email: DEFAULT_ACCOUNTS.developer!.email, role: 'MEMBER' });
      expect((await call(demo.url, 'GET', '/v1/projects', { cookie: browser.cookieHeader(demo.url) })).status).toBe(
        200,
      );
    } finally {
      await demo?.stop();
      await provider.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the demo with a bad environment', () => {
  it('prints every problem, names PHOENIX_SECRET without its value, exits 1 and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-bad-'));
    try {
      const { child, out, err } = spawnDemo(dir, {
        PHOENIX_WORKING_DIR: dir,
        PHOENIX_SECRET: 'short',
        PHOENIX_PORT: 'http',
      });
      expect(await exited(child)).toBe(1);
      const stderr = err.join('');
      expect(out.join('')).toBe('');
      expect(stderr).toContain('Invalid authentication configuration (2 problems):');
      expect(stderr).toContain(
        "  - PHOENIX_PORT: Invalid value for environment variable PHOENIX_PORT: 'http'. Value must be an integer.",
      );
      expect(stderr).toMatch(/ {2}- PHOENIX_SECRET: Phoenix secret must be at least 32 characters long/);
      expect(stderr).not.toContain('short');
      expect(existsSync(join(dir, 'phoenix.db'))).toBe(false);
      expect(existsSync(join(dir, 'demo-secret'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the demo on PostgreSQL', () => {
  // A fresh database on the server test/setup/postgres.ts provides; no server is a failure, not a skip.
  const adminUrl = inject('databaseUrl');
  const name = `gh_demo_${Date.now().toString(36)}`;
  let databaseUrl: string;
  let dir: string;

  async function onServer(url: string, statement: string): Promise<pg.QueryResult<Record<string, unknown>>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(statement);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    if (!adminUrl) throw new Error(inject('databaseSetupError') || 'no PostgreSQL server');
    await onServer(adminUrl, `CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-pg-'));
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (adminUrl) await onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it("keeps Gatehouse's tables and the demo's in one database, across a restart", async () => {
    let demo = await startDemo(dir, { PHOENIX_SQL_DATABASE_URL: databaseUrl });
    try {
      expect(demo.stdout()).toContain(
        ' | store: postgresql | shared: postgresql notify | auth: on | created the default admin admin@localhost',
      );
      expect(demo.stdout()).not.toContain(name);
      expect(existsSync(join(dir, 'phoenix.db'))).toBe(false);

      const loggedIn = await login(demo.url, 'admin@localhost', 'admin');
      expect(loggedIn.status).toBe(204);
      const created = await call(
        demo.url,
        'POST',
        '/v1/projects',
        { cookie: cookiesOf(loggedIn) },
        { name: 'on-postgres' },
      );
      expect(created.status).toBe(201);
      expect(await demo.stop()).toBe(0);

      demo = await startDemo(dir, { PHOENIX_SQL_DATABASE_URL: databaseUrl });
      expect(demo.stdout()).not.toContain('created the default admin');
      const again = await login(demo.url, 'admin@localhost', 'admin');
      const list = await jsonOf<Data<Project[]>>(
        await call(demo.url, 'GET', '/v1/projects', { cookie: cookiesOf(again) }),
      );
      expect(list.data.map((project) => project.name)).toEqual(['on-postgres']);
    } finally {
      await demo.stop();
    }

    const tables = await onServer(
      databaseUrl,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    const names = tables.rows.map((row) => row.table_name);
    expect(names).toEqual(
      expect.arrayContaining([
        'demo_datasets',
        'demo_experiments',
        'demo_projects',
        'demo_span_annotations',
        'demo_traces',
        'users',
      ]),
    );
  });
});
