import { ValidationError } from '@gatehouse-auth/core';
import { readJsonObject } from '@gatehouse-auth/core/adapter-kit';
import { Hono, type Env } from 'hono';
import type { Kysely } from 'kysely';
import {
  annotateSpans,
  createDataset,
  createExperiment,
  createProject,
  deleteDataset,
  deleteProject,
  findProject,
  getDataset,
  getExperiment,
  ingestSpans,
  listExperiments,
  listProjects,
  listTraces,
  updateProject,
  type Example,
  type SpanAnnotation,
} from './db/repository.js';
import type { DemoDatabase } from './db/schema.js';
import { readOtlpBody } from './otlp/body.js';
import { decodeExportRequest, encodeExportResponse, otlpEncoding } from './otlp/decode.js';
import type { OtlpTraceTypes } from './otlp/definitions.js';
import {
  cursorQuery,
  idParam,
  limitQuery,
  nonEmptyArray,
  objectAt,
  oneOf,
  optionalNumber,
  optionalObject,
  optionalText,
  requiredObject,
  requiredText,
  within,
} from './validate.js';

// Datasets and span batches are bigger than auth bodies; core's reader still streams and caps them.
const UPLOAD_LIMIT = 10 * 1024 * 1024;
const MAX_EXAMPLES = 10_000;
// Annotations are inserted in one statement: 1000 rows stay under both databases' bind-parameter limits.
const MAX_ROWS = 1000;

const ANNOTATOR_KINDS = ['HUMAN', 'LLM', 'CODE'] as const;

function readExamples(items: readonly unknown[]): Example[] {
  return items.map((_, index) => {
    const item = objectAt(items, index, 'examples');
    return within(`examples[${index}]`, () => ({
      input: requiredObject(item, 'input'),
      output: optionalObject(item, 'output'),
      metadata: optionalObject(item, 'metadata'),
    }));
  });
}

function readAnnotations(items: readonly unknown[]): SpanAnnotation[] {
  return items.map((_, index) => {
    const item = objectAt(items, index, 'data');
    return within(`data[${index}]`, () => {
      const result = requiredObject(item, 'result');
      const annotation: SpanAnnotation = {
        span_id: requiredText(item, 'span_id'),
        name: requiredText(item, 'name'),
        annotator_kind: oneOf(item, 'annotator_kind', ANNOTATOR_KINDS),
        label: optionalText(result, 'label'),
        score: optionalNumber(result, 'score'),
        explanation: optionalText(result, 'explanation'),
      };
      if (annotation.label === null && annotation.score === null && annotation.explanation === null) {
        throw new ValidationError('result must have a label, a score or an explanation');
      }
      return annotation;
    });
  });
}

/**
 * The demo's REST resources. Nothing here decides who may call what: the guard in front of
 * `/v1/*` has already applied core's REST rule (viewers read only; PUT and DELETE on a project
 * are admin-only) before a handler runs.
 */
export function demoRoutes<E extends Env>(db: Kysely<DemoDatabase>, otlp: OtlpTraceTypes): Hono<E> {
  const routes = new Hono<E>();

  routes.get('/v1/projects', async (c) => {
    const page = await listProjects(db, {
      limit: limitQuery(c.req.query('limit'), 100, 1000),
      cursor: cursorQuery(c.req.query('cursor')),
    });
    return c.json({ data: page.projects, next_cursor: page.nextCursor === null ? null : String(page.nextCursor) });
  });
  routes.post('/v1/projects', async (c) => {
    const body = await readJsonObject(c.req.raw);
    const project = await createProject(db, {
      name: requiredText(body, 'name'),
      description: optionalText(body, 'description'),
    });
    return c.json({ data: project }, 201);
  });
  routes.get('/v1/projects/:id', async (c) => c.json({ data: await findProject(db, c.req.param('id')) }));
  routes.put('/v1/projects/:id', async (c) => {
    const body = await readJsonObject(c.req.raw);
    if (body.name !== undefined) throw new ValidationError('name cannot be changed');
    return c.json({
      data: await updateProject(db, c.req.param('id'), { description: optionalText(body, 'description') }),
    });
  });
  routes.delete('/v1/projects/:id', async (c) => {
    await deleteProject(db, c.req.param('id'));
    return c.body(null, 204);
  });

  routes.post('/v1/datasets/upload', async (c) => {
    const body = await readJsonObject(c.req.raw, UPLOAD_LIMIT);
    const name = requiredText(body, 'name');
    const description = optionalText(body, 'description');
    const examples = readExamples(nonEmptyArray(body, 'examples', MAX_EXAMPLES));
    return c.json({ data: await createDataset(db, { name, description, examples }) }, 201);
  });
  routes.get('/v1/datasets/:id', async (c) =>
    c.json({ data: await getDataset(db, idParam(c.req.param('id'), 'dataset')) }),
  );
  routes.delete('/v1/datasets/:id', async (c) => {
    await deleteDataset(db, idParam(c.req.param('id'), 'dataset'));
    return c.body(null, 204);
  });
  routes.get('/v1/datasets/:id/experiments', async (c) =>
    c.json({ data: await listExperiments(db, idParam(c.req.param('id'), 'dataset')) }),
  );
  routes.post('/v1/datasets/:id/experiments', async (c) => {
    const datasetId = idParam(c.req.param('id'), 'dataset');
    const body = await readJsonObject(c.req.raw);
    const input = {
      name: optionalText(body, 'name'),
      description: optionalText(body, 'description'),
      metadata: optionalObject(body, 'metadata'),
    };
    return c.json({ data: await createExperiment(db, datasetId, input) }, 201);
  });
  routes.get('/v1/experiments/:id', async (c) =>
    c.json({ data: await getExperiment(db, idParam(c.req.param('id'), 'experiment')) }),
  );

  // OTLP/HTTP, as Phoenix takes it from its OpenTelemetry exporters: protobuf or JSON, maybe gzipped.
  routes.post('/v1/traces', async (c) => {
    const encoding = otlpEncoding(c.req.header('content-type'));
    const decoded = decodeExportRequest(otlp, encoding, await readOtlpBody(c.req.raw, UPLOAD_LIMIT));
    await ingestSpans(db, decoded.batches);
    return encodeExportResponse(otlp, encoding, decoded);
  });
  routes.get('/v1/traces', async (c) => {
    const projectName = c.req.query('project_name') ?? null;
    return c.json({ data: await listTraces(db, { projectName, limit: limitQuery(c.req.query('limit'), 100, 1000) }) });
  });

  routes.post('/v1/span_annotations', async (c) => {
    const body = await readJsonObject(c.req.raw, UPLOAD_LIMIT);
    const annotations = readAnnotations(nonEmptyArray(body, 'data', MAX_ROWS));
    return c.json({ data: await annotateSpans(db, annotations) }, 201);
  });

  return routes;
}
