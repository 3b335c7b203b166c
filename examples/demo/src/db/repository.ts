import { ConflictError, NotFoundError } from '@gatehouse-auth/core';
import type { Kysely, Selectable } from 'kysely';
import { isForeignKeyViolation, isUniqueViolation } from './errors.js';
import type { DemoDatabase } from './schema.js';

type Db = Kysely<DemoDatabase>;
type JsonObject = Record<string, unknown>;

export interface Project {
  id: number;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface Dataset {
  id: number;
  name: string;
  description: string | null;
  example_count: number;
  created_at: string;
}

export interface Example {
  input: JsonObject;
  output: JsonObject;
  metadata: JsonObject;
}

export interface Experiment {
  id: number;
  dataset_id: number;
  name: string;
  description: string | null;
  metadata: JsonObject;
  created_at: string;
}

export interface Span {
  trace_id: string;
  span_id: string;
  parent_id: string | null;
  name: string;
  start_time: string;
  end_time: string;
  attributes: JsonObject;
}

export interface Trace {
  trace_id: string;
  project_name: string;
  start_time: string;
  end_time: string;
  spans: Span[];
}

export interface SpanAnnotation {
  span_id: string;
  name: string;
  annotator_kind: 'HUMAN' | 'LLM' | 'CODE';
  label: string | null;
  score: number | null;
  explanation: string | null;
}

const now = (): string => new Date().toISOString();
const parseObject = (text: string): JsonObject => JSON.parse(text) as JsonObject;

function toDataset(row: Selectable<DemoDatabase['demo_datasets']>): Dataset {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    example_count: row.example_count,
    created_at: row.created_at,
  };
}

function toExperiment(row: Selectable<DemoDatabase['demo_experiments']>): Experiment {
  return { ...row, metadata: parseObject(row.metadata) };
}

function toSpan(row: Selectable<DemoDatabase['demo_traces']>): Span {
  return {
    trace_id: row.trace_id,
    span_id: row.span_id,
    parent_id: row.parent_span_id,
    name: row.name,
    start_time: row.start_time,
    end_time: row.end_time,
    attributes: parseObject(row.attributes),
  };
}

// --- projects -----------------------------------------------------------------------------------

export async function listProjects(
  db: Db,
  page: { limit: number; cursor: number | null },
): Promise<{ projects: Project[]; nextCursor: number | null }> {
  let query = db
    .selectFrom('demo_projects')
    .selectAll()
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.cursor !== null) query = query.where('id', '>=', page.cursor);
  const rows = await query.execute();
  const next = rows.length > page.limit ? rows.pop() : undefined;
  return { projects: rows, nextCursor: next?.id ?? null };
}

export async function createProject(db: Db, input: { name: string; description: string | null }): Promise<Project> {
  const at = now();
  try {
    return await db
      .insertInto('demo_projects')
      .values({ name: input.name, description: input.description, created_at: at, updated_at: at })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`A project named '${input.name}' already exists`);
    throw error;
  }
}

/** Phoenix addresses a project by id or by name; so does the demo. */
export async function findProject(db: Db, identifier: string): Promise<Project> {
  const query = db.selectFrom('demo_projects').selectAll();
  const row = /^[1-9]\d{0,14}$/.test(identifier)
    ? await query.where('id', '=', Number(identifier)).executeTakeFirst()
    : await query.where('name', '=', identifier).executeTakeFirst();
  if (!row) throw new NotFoundError(`Project not found: ${identifier}`);
  return row;
}

export async function updateProject(
  db: Db,
  identifier: string,
  change: { description: string | null },
): Promise<Project> {
  const project = await findProject(db, identifier);
  const row = await db
    .updateTable('demo_projects')
    .set({ description: change.description, updated_at: now() })
    .where('id', '=', project.id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Project not found: ${identifier}`);
  return row;
}

export async function deleteProject(db: Db, identifier: string): Promise<void> {
  const project = await findProject(db, identifier);
  await db.deleteFrom('demo_projects').where('id', '=', project.id).execute();
}

// --- datasets and experiments -------------------------------------------------------------------

export async function createDataset(
  db: Db,
  input: { name: string; description: string | null; examples: Example[] },
): Promise<Dataset> {
  try {
    const row = await db
      .insertInto('demo_datasets')
      .values({
        name: input.name,
        description: input.description,
        examples: JSON.stringify(input.examples),
        example_count: input.examples.length,
        created_at: now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDataset(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`A dataset named '${input.name}' already exists`);
    throw error;
  }
}

export async function getDataset(db: Db, id: number): Promise<Dataset & { examples: Example[] }> {
  const row = await db.selectFrom('demo_datasets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Dataset not found: ${id}`);
  return { ...toDataset(row), examples: JSON.parse(row.examples) as Example[] };
}

export async function deleteDataset(db: Db, id: number): Promise<void> {
  const result = await db.deleteFrom('demo_datasets').where('id', '=', id).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new NotFoundError(`Dataset not found: ${id}`);
}

export async function listExperiments(db: Db, datasetId: number): Promise<Experiment[]> {
  await getDataset(db, datasetId);
  const rows = await db
    .selectFrom('demo_experiments')
    .selectAll()
    .where('dataset_id', '=', datasetId)
    .orderBy('id')
    .execute();
  return rows.map(toExperiment);
}

export async function createExperiment(
  db: Db,
  datasetId: number,
  input: { name: string | null; description: string | null; metadata: JsonObject },
): Promise<Experiment> {
  try {
    const row = await db
      .insertInto('demo_experiments')
      .values({
        dataset_id: datasetId,
        name: input.name ?? `experiment-${Date.now().toString(36)}`,
        description: input.description,
        metadata: JSON.stringify(input.metadata),
        created_at: now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toExperiment(row);
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NotFoundError(`Dataset not found: ${datasetId}`);
    throw error;
  }
}

export async function getExperiment(db: Db, id: number): Promise<Experiment> {
  const row = await db.selectFrom('demo_experiments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Experiment not found: ${id}`);
  return toExperiment(row);
}

// --- traces and annotations ---------------------------------------------------------------------

// Spans go in one statement per chunk: 500 rows stay under both databases' bind-parameter limits.
const SPAN_CHUNK = 500;

/**
 * Like Phoenix's ingest: the project is created on first use, and a span already stored (same
 * span_id) is left as it is, so an exporter that retries a batch stores nothing twice. One
 * transaction: all batches or none.
 */
export async function ingestSpans(
  db: Db,
  batches: readonly { projectName: string; spans: readonly Span[] }[],
): Promise<{ accepted: number }> {
  return db.transaction().execute(async (tx) => {
    let accepted = 0;
    for (const { projectName, spans } of batches) {
      const at = now();
      await tx
        .insertInto('demo_projects')
        .values({ name: projectName, description: null, created_at: at, updated_at: at })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .execute();
      const project = await tx
        .selectFrom('demo_projects')
        .select('id')
        .where('name', '=', projectName)
        .executeTakeFirstOrThrow();
      for (let from = 0; from < spans.length; from += SPAN_CHUNK) {
        const rows = spans.slice(from, from + SPAN_CHUNK).map((span) => ({
          project_id: project.id,
          trace_id: span.trace_id,
          span_id: span.span_id,
          parent_span_id: span.parent_id,
          name: span.name,
          start_time: span.start_time,
          end_time: span.end_time,
          attributes: JSON.stringify(span.attributes),
        }));
        await tx
          .insertInto('demo_traces')
          .values(rows)
          .onConflict((conflict) => conflict.column('span_id').doNothing())
          .execute();
        accepted += rows.length;
      }
    }
    return { accepted };
  });
}

/** The newest traces first, each with its spans in start order. */
export async function listTraces(db: Db, filter: { projectName: string | null; limit: number }): Promise<Trace[]> {
  let heads = db
    .selectFrom('demo_traces')
    .innerJoin('demo_projects', 'demo_projects.id', 'demo_traces.project_id')
    .select((eb) => [
      'demo_traces.trace_id',
      'demo_traces.project_id',
      'demo_projects.name as project_name',
      eb.fn.min('demo_traces.start_time').as('start_time'),
      eb.fn.max('demo_traces.end_time').as('end_time'),
    ])
    .groupBy(['demo_traces.trace_id', 'demo_traces.project_id', 'demo_projects.name'])
    .orderBy('start_time', 'desc')
    .limit(filter.limit);
  if (filter.projectName !== null) heads = heads.where('demo_projects.name', '=', filter.projectName);
  const traces = await heads.execute();
  if (traces.length === 0) return [];

  const rows = await db
    .selectFrom('demo_traces')
    .selectAll()
    .where(
      'trace_id',
      'in',
      traces.map((trace) => trace.trace_id),
    )
    .orderBy('start_time')
    .orderBy('id')
    .execute();
  // A trace id is one trace within its project; the same id sent to two projects is two traces.
  const key = (projectId: number, traceId: string): string => `${projectId}:${traceId}`;
  const spansByTrace = new Map<string, Span[]>();
  for (const row of rows) {
    const list = spansByTrace.get(key(row.project_id, row.trace_id)) ?? [];
    list.push(toSpan(row));
    spansByTrace.set(key(row.project_id, row.trace_id), list);
  }
  return traces.map((trace) => ({
    trace_id: trace.trace_id,
    project_name: trace.project_name,
    start_time: trace.start_time,
    end_time: trace.end_time,
    spans: spansByTrace.get(key(trace.project_id, trace.trace_id)) ?? [],
  }));
}

export async function annotateSpans(db: Db, annotations: readonly SpanAnnotation[]): Promise<{ id: number }[]> {
  return db.transaction().execute(async (tx) => {
    const wanted = [...new Set(annotations.map((annotation) => annotation.span_id))];
    const found = await tx.selectFrom('demo_traces').select('span_id').where('span_id', 'in', wanted).execute();
    const known = new Set(found.map((row) => row.span_id));
    const missing = wanted.filter((spanId) => !known.has(spanId));
    if (missing.length > 0) throw new NotFoundError(`Spans with IDs ${missing.join(', ')} do not exist`);

    const at = now();
    return tx
      .insertInto('demo_span_annotations')
      .values(annotations.map((annotation) => ({ ...annotation, created_at: at })))
      .returning('id')
      .execute();
  });
}
