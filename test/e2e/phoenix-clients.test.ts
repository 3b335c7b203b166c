/**
 * Phoenix's own published clients against the built demo over real HTTP: `@arizeai/phoenix-otel`
 * (an OpenTelemetry tracer provider whose exporter sends OTLP protobuf to POST /v1/traces) and
 * `@arizeai/phoenix-client` (the typed REST client), each configured only through the environment
 * as their users configure them: PHOENIX_COLLECTOR_ENDPOINT / PHOENIX_HOST and PHOENIX_API_KEY.
 *
 * Who may write traces follows Phoenix: any authenticated credential except a viewer's (system
 * key, admin and member keys pass; a viewer key is 403; no key is 401).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createClient, HttpError } from '@arizeai/phoenix-client';
import { register } from '@arizeai/phoenix-otel';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startDemo, type Demo } from '../support/demo-process.js';

const PROTO_DIR = join(repoRoot, 'examples/demo/proto');

let demo: Demo;
let workingDir: string;
const keys: Record<'system' | 'member' | 'viewer', string> = { system: '', member: '', viewer: '' };

async function json<T>(response: Response): Promise<T> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as T;
}

function post(path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${demo.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function signIn(email: string, password: string): Promise<string> {
  const response = await post('/auth/login', { email, password }, {});
  expect(response.status).toBe(204);
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';', 1)[0]!)
    .join('; ');
}

async function mintKey(
  path: '/v1/system/api_keys' | '/v1/user/api_keys',
  cookie: string,
  name: string,
): Promise<string> {
  const response = await post(path, { data: { name } }, { cookie });
  expect(response.status).toBe(201);
  return (await json<{ data: { key: string } }>(response)).data.key;
}

/** The demo's span rows of a project, read with the system key. */
async function storedSpans(
  project: string,
): Promise<{ span_id: string; name: string; attributes: Record<string, unknown> }[]> {
  const response = await fetch(`${demo.url}/v1/traces?project_name=${encodeURIComponent(project)}`, {
    headers: { authorization: `Bearer ${keys.system}` },
  });
  expect(response.status).toBe(200);
  const traces = await json<{
    data: { spans: { span_id: string; name: string; attributes: Record<string, unknown> }[] }[];
  }>(response);
  return traces.data.flatMap((trace) => trace.spans);
}

/** Runs `body` with exactly these PHOENIX_* / OTEL_* variables set, as a user's shell would. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** One span through phoenix-otel's provider; the result of `shutdown()`, which flushes the export. */
async function exportOneSpan(
  apiKey: string | undefined,
  project: string,
  compression?: 'gzip',
): Promise<{ error: unknown }> {
  return withEnv(
    {
      PHOENIX_COLLECTOR_ENDPOINT: demo.url,
      PHOENIX_API_KEY: apiKey,
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: compression,
    },
    async () => {
      const provider = register({ projectName: project, global: false });
      provider.getTracer('e2e').startActiveSpan('answer-question', (span) => {
        span.setAttribute('llm.token_count.total', 42);
        span.setAttribute('input.value', 'hi');
        span.end();
      });
      try {
        await provider.shutdown();
        return { error: null };
      } catch (error) {
        return { error };
      }
    },
  );
}

beforeAll(async () => {
  workingDir = mkdtempSync(join(tmpdir(), 'gatehouse-phoenix-clients-'));
  demo = await startDemo(workingDir, { PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'admin-Passw0rd-2026' });
  const admin = await signIn('admin@localhost', 'admin-Passw0rd-2026');
  keys.system = await mintKey('/v1/system/api_keys', admin, 'ingest');
  for (const role of ['MEMBER', 'VIEWER'] as const) {
    const email = `${role.toLowerCase()}@example.test`;
    const created = await post(
      '/v1/users',
      { user: { email, username: role.toLowerCase(), role, auth_method: 'LOCAL', password: `${role}-Passw0rd-1` } },
      { cookie: admin },
    );
    expect(created.status).toBe(201);
    keys[role === 'MEMBER' ? 'member' : 'viewer'] = await mintKey(
      '/v1/user/api_keys',
      await signIn(email, `${role}-Passw0rd-1`),
      `${role} key`,
    );
  }
});

afterAll(async () => {
  await demo?.stop();
  rmSync(workingDir, { recursive: true, force: true });
});

describe('@arizeai/phoenix-otel exporting to POST /v1/traces (OTLP protobuf)', () => {
  it.each([
    ['a system key', 'system'],
    ['a member key', 'member'],
  ] as const)('with %s: the exporter shuts down cleanly and the span is stored in its project', async (_, who) => {
    const project = `otel-${who}`;
    const { error } = await exportOneSpan(keys[who], project);
    expect(error).toBeNull();
    const spans = await storedSpans(project);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ name: 'answer-question', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(spans[0]!.attributes).toMatchObject({ 'llm.token_count.total': 42, 'input.value': 'hi' });
  });

  it('with gzip compression (OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=gzip), as exporters are often set up', async () => {
    const { error } = await exportOneSpan(keys.system, 'otel-gzip', 'gzip');
    expect(error).toBeNull();
    expect((await storedSpans('otel-gzip')).map((span) => span.name)).toEqual(['answer-question']);
  });

  it.each([
    ['a viewer key', 'viewer', 403, 'forbidden'],
    ['no key', undefined, 401, 'unauthenticated'],
  ] as const)('with %s: the export is refused and nothing is stored', async (_, who, status, code) => {
    const project = `otel-refused-${who ?? 'anonymous'}`;
    const { error } = await exportOneSpan(who === undefined ? undefined : keys[who], project);
    expect(error).toMatchObject({ code: status });
    expect(JSON.parse((error as { data: string }).data)).toMatchObject({ error: { code } });
    expect(await storedSpans(project)).toEqual([]);
  });
});

describe('@arizeai/phoenix-client against the REST API', () => {
  const client = (apiKey: string | undefined) =>
    withEnv({ PHOENIX_HOST: demo.url, PHOENIX_API_KEY: apiKey }, () => Promise.resolve(createClient()));

  async function statusOf(call: Promise<{ response: Response }>): Promise<number> {
    try {
      return (await call).response.status;
    } catch (error) {
      if (error instanceof HttpError) return error.status;
      throw error;
    }
  }

  it.each([
    // who, list projects, create a project, get a missing project, delete a project (admin-only)
    ['system', 200, 201, 404, 403],
    ['member', 200, 201, 404, 403],
    ['viewer', 200, 403, 404, 403],
    ['none', 401, 401, 401, 401],
  ] as const)(
    'with the %s key: list %i, create %i, missing %i, delete %i',
    async (who, list, create, missing, remove) => {
      const phoenix = await client(who === 'none' ? undefined : keys[who]);
      expect(await statusOf(phoenix.GET('/v1/projects'))).toBe(list);
      expect(await statusOf(phoenix.POST('/v1/projects', { body: { name: `client-${who}` } }))).toBe(create);
      expect(
        await statusOf(
          phoenix.GET('/v1/projects/{project_identifier}', {
            params: { path: { project_identifier: 'no-such-project' } },
          }),
        ),
      ).toBe(missing);
      expect(
        await statusOf(
          phoenix.DELETE('/v1/projects/{project_identifier}', {
            params: { path: { project_identifier: 'otel-system' } },
          }),
        ),
      ).toBe(remove);
    },
  );

  it('sees the projects phoenix-otel created (the span arrived where the client looks)', async () => {
    const phoenix = await client(keys.member);
    const { data } = await phoenix.GET('/v1/projects');
    expect(data?.data.map((project) => project.name)).toEqual(
      expect.arrayContaining(['otel-system', 'otel-member', 'otel-gzip']),
    );
  });
});

describe('POST /v1/traces answers as Phoenix and the OTLP/HTTP specification do', () => {
  const types = (() => {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
    root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
    return {
      request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
      response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    };
  })();
  const auth = () => ({ authorization: `Bearer ${keys.system}` });
  const nanos = (iso: string) => `${BigInt(Date.parse(iso)) * 1_000_000n}`;

  function otlpJson(project: string, spans: Record<string, unknown>[]): unknown {
    return {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'openinference.project.name', value: { stringValue: project } }] },
          scopeSpans: [{ scope: { name: 'e2e' }, spans }],
        },
      ],
    };
  }
  const good = (spanId: string, name: string) => ({
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId,
    name,
    kind: 2,
    startTimeUnixNano: nanos('2026-01-01T00:00:00Z'),
    endTimeUnixNano: nanos('2026-01-01T00:00:01Z'),
    attributes: [
      { key: 'http.status_code', value: { intValue: '200' } },
      { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
    ],
  });

  it('takes OTLP/JSON (hex ids) and answers an empty ExportTraceServiceResponse in JSON', async () => {
    const response = await post(
      '/v1/traces',
      otlpJson('json-project', [good('eee19b7ec3c1b174', 'json-span')]),
      auth(),
    );
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({});
    const spans = await storedSpans('json-project');
    expect(spans).toEqual([
      expect.objectContaining({
        span_id: 'eee19b7ec3c1b174',
        name: 'json-span',
        attributes: { 'http.status_code': 200, tags: ['a'] },
      }),
    ]);
  });

  it('stores the valid spans of a batch and reports the rest as partialSuccess (JSON)', async () => {
    const spans = [
      good('aaaaaaaaaaaaaaa1', 'kept'),
      { ...good('bad', 'short-id') },
      { ...good('aaaaaaaaaaaaaaa2', ''), name: '' },
    ];
    const response = await post('/v1/traces', otlpJson('partial-project', spans), auth());
    expect(response.status).toBe(200);
    const body = await json<{ partialSuccess: { rejectedSpans: string; errorMessage: string } }>(response);
    expect(body.partialSuccess.rejectedSpans).toBe('2');
    expect(body.partialSuccess.errorMessage).toBe(
      '2 spans rejected: resourceSpans[0].scopeSpans[0].spans[1]: span_id must be 8 bytes, not all zero; resourceSpans[0].scopeSpans[0].spans[2]: name is required',
    );
    expect((await storedSpans('partial-project')).map((span) => span.name)).toEqual(['kept']);
  });

  it('answers protobuf with protobuf: partialSuccess for a span whose end is before its start; a retried batch is stored once', async () => {
    const id = (hex: string) => Buffer.from(hex, 'hex');
    const span = (spanId: string, start: string, end: string) => ({
      traceId: id('0af7651916cd43dd8448eb211c80319c'),
      spanId: id(spanId),
      name: 'pb-span',
      startTimeUnixNano: nanos(start),
      endTimeUnixNano: nanos(end),
    });
    const message = types.request.fromObject({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'openinference.project.name', value: { stringValue: 'pb-project' } }] },
          scopeSpans: [
            {
              spans: [
                span('b7ad6b7169203331', '2026-01-01T00:00:00Z', '2026-01-01T00:00:02Z'),
                span('b7ad6b7169203332', '2026-01-01T00:00:02Z', '2026-01-01T00:00:01Z'),
              ],
            },
          ],
        },
      ],
    });
    const body = types.request.encode(message).finish();
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(`${demo.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...auth() },
        body: gzipSync(body),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-protobuf');
      const answer = types.response.toObject(types.response.decode(new Uint8Array(await response.arrayBuffer())), {
        longs: String,
      });
      expect(answer).toEqual({
        partialSuccess: {
          rejectedSpans: '1',
          errorMessage:
            '1 spans rejected: resourceSpans[0].scopeSpans[0].spans[1]: end_time_unix_nano must not be before start_time_unix_nano',
        },
      });
    }
    expect((await storedSpans('pb-project')).map((stored) => stored.span_id)).toEqual(['b7ad6b7169203331']);
  });

  it.each([
    ['no Content-Type', {}, new Uint8Array([1]), 415, 'unsupported_media_type', 'Unsupported content type: none'],
    [
      'text/plain',
      { 'content-type': 'text/plain' },
      'x',
      415,
      'unsupported_media_type',
      'Unsupported content type: text/plain',
    ],
    [
      'an unknown Content-Encoding',
      { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' },
      'x',
      415,
      'unsupported_media_type',
      'Unsupported content encoding: br',
    ],
    [
      'bytes that are not a protobuf message',
      { 'content-type': 'application/x-protobuf' },
      'garbage!garbage',
      422,
      'invalid_input',
      'Request body is invalid ExportTraceServiceRequest',
    ],
    [
      'a gzip header on plain bytes',
      { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      'plain',
      400,
      'bad_request',
      'Request body is not valid gzip data',
    ],
    [
      'JSON of the wrong shape',
      { 'content-type': 'application/json' },
      '{"resourceSpans":"x"}',
      422,
      'invalid_input',
      'Request body is invalid ExportTraceServiceRequest: resourceSpans: array expected',
    ],
    [
      'malformed JSON',
      { 'content-type': 'application/json' },
      '{',
      400,
      'malformed_json',
      'Request body is not valid JSON',
    ],
  ])('refuses %s', async (_, headers, body, status, code, message) => {
    const response = await fetch(`${demo.url}/v1/traces`, { method: 'POST', headers: { ...headers, ...auth() }, body });
    expect(response.status).toBe(status);
    expect(await json(response)).toEqual({ error: { code, message } });
  });

  it('refuses a gzip bomb by its decompressed size (413), whatever its compressed size', async () => {
    const bomb = gzipSync(Buffer.alloc(11 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const response = await fetch(`${demo.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...auth() },
      body: bomb,
    });
    expect(response.status).toBe(413);
    expect(await json(response)).toMatchObject({ error: { code: 'payload_too_large' } });
  });
});
