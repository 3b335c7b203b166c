import type { Generated, Kysely } from 'kysely';

/**
 * The demo's own tables, next to Gatehouse's in the same database. Timestamps are ISO strings and
 * JSON is text, so both dialects return the same shapes without type parsers.
 */
export interface DemoDatabase {
  demo_projects: {
    id: Generated<number>;
    name: string;
    description: string | null;
    created_at: string;
    updated_at: string;
  };
  demo_datasets: {
    id: Generated<number>;
    name: string;
    description: string | null;
    /** JSON array of `{ input, output, metadata }`. */
    examples: string;
    example_count: number;
    created_at: string;
  };
  demo_experiments: {
    id: Generated<number>;
    dataset_id: number;
    name: string;
    description: string | null;
    /** JSON object. */
    metadata: string;
    created_at: string;
  };
  /** One row per span; a trace is the spans sharing a `trace_id`. */
  demo_traces: {
    id: Generated<number>;
    project_id: number;
    trace_id: string;
    span_id: string;
    parent_span_id: string | null;
    name: string;
    start_time: string;
    end_time: string;
    /** JSON object. */
    attributes: string;
  };
  demo_span_annotations: {
    id: Generated<number>;
    span_id: string;
    name: string;
    annotator_kind: string;
    label: string | null;
    score: number | null;
    explanation: string | null;
    created_at: string;
  };
}

export type Dialect = 'sqlite' | 'postgres';

/** Idempotent, so every start (and several instances at once) may run it. */
export async function createDemoTables(db: Kysely<DemoDatabase>, dialect: Dialect): Promise<void> {
  // The only DDL difference between the two dialects: how an id counts up.
  const table = (name: keyof DemoDatabase) => {
    const builder = db.schema.createTable(name).ifNotExists();
    return dialect === 'sqlite'
      ? builder.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement())
      : builder.addColumn('id', 'serial', (column) => column.primaryKey());
  };

  await table('demo_projects')
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();
  await table('demo_datasets')
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('examples', 'text', (column) => column.notNull())
    .addColumn('example_count', 'integer', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await table('demo_experiments')
    .addColumn('dataset_id', 'integer', (column) => column.notNull().references('demo_datasets.id').onDelete('cascade'))
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('description', 'text')
    .addColumn('metadata', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await table('demo_traces')
    .addColumn('project_id', 'integer', (column) => column.notNull().references('demo_projects.id').onDelete('cascade'))
    .addColumn('trace_id', 'text', (column) => column.notNull())
    .addColumn('span_id', 'text', (column) => column.notNull().unique())
    .addColumn('parent_span_id', 'text')
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('start_time', 'text', (column) => column.notNull())
    .addColumn('end_time', 'text', (column) => column.notNull())
    .addColumn('attributes', 'text', (column) => column.notNull())
    .execute();
  await table('demo_span_annotations')
    .addColumn('span_id', 'text', (column) => column.notNull().references('demo_traces.span_id').onDelete('cascade'))
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('annotator_kind', 'text', (column) => column.notNull())
    .addColumn('label', 'text')
    .addColumn('score', 'double precision')
    .addColumn('explanation', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('demo_traces_project_id')
    .ifNotExists()
    .on('demo_traces')
    .columns(['project_id', 'trace_id'])
    .execute();
  await db.schema
    .createIndex('demo_experiments_dataset_id')
    .ifNotExists()
    .on('demo_experiments')
    .column('dataset_id')
    .execute();
}
