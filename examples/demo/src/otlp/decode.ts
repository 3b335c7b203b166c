import { ValidationError } from '@gatehouse-auth/core';
import type protobuf from 'protobufjs';
import type { Span } from '../db/repository.js';
import type { OtlpTraceTypes } from './definitions.js';

/** OTLP/HTTP carries one of two encodings, named by Content-Type; the answer uses the same one. */
export type OtlpEncoding = 'protobuf' | 'json';

/** Phoenix's rule for the project: the `openinference.project.name` resource attribute, else `default`. */
export const PROJECT_NAME_ATTRIBUTE = 'openinference.project.name';
export const DEFAULT_PROJECT = 'default';

// The partial-success message names the first few rejected spans, not thousands of them.
const MAX_REASONS = 5;

export interface SpanBatch {
  readonly projectName: string;
  readonly spans: Span[];
}

export interface DecodedExport {
  readonly batches: SpanBatch[];
  /** Spans refused one by one (bad ids, no name, bad times): OTLP's partial success. */
  readonly rejected: number;
  readonly reasons: string[];
}

/** The encoding of a Content-Type, or 415 with the value, as Phoenix answers. */
export function otlpEncoding(contentType: string | undefined): OtlpEncoding {
  const media = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  throw new ValidationError(`Unsupported content type: ${contentType ?? 'none'}`, { code: 'unsupported_media_type' });
}

// --- plain objects as protobufjs gives them back (toObject with longs and enums as strings) -------

type Bytes = Uint8Array;
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: Bytes;
}
interface KeyValue {
  key?: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId?: Bytes;
  spanId?: Bytes;
  parentSpanId?: Bytes;
  name?: string;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: KeyValue[];
}
interface ExportRequest {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, arrays: true };

function decodeProtobuf(type: protobuf.Type, body: Uint8Array): ExportRequest {
  let message: protobuf.Message;
  try {
    message = type.decode(body);
  } catch {
    throw new ValidationError('Request body is invalid ExportTraceServiceRequest');
  }
  return type.toObject(message, TO_OBJECT);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** OTLP/JSON writes trace and span ids as hex, where the protobuf JSON mapping would use base64. */
function hexBytes(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  // An id that is not even-length hex becomes empty, which the span check then refuses by name.
  return /^(?:[0-9a-fA-F]{2})*$/.test(value) ? Buffer.from(value, 'hex') : new Uint8Array(0);
}

function withHexIds(span: unknown): unknown {
  if (!isRecord(span)) return span;
  const out: Record<string, unknown> = {
    ...span,
    traceId: hexBytes(span.traceId),
    spanId: hexBytes(span.spanId),
    parentSpanId: hexBytes(span.parentSpanId),
  };
  if (Array.isArray(span.links)) {
    out.links = span.links.map((link: unknown) =>
      isRecord(link) ? { ...link, traceId: hexBytes(link.traceId), spanId: hexBytes(link.spanId) } : link,
    );
  }
  return out;
}

/** Only the id fields are rewritten; protobufjs's `fromObject` checks the shape of everything. */
function withJsonIds(value: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(value.resourceSpans)) return value;
  return {
    ...value,
    resourceSpans: value.resourceSpans.map((resource: unknown) => {
      if (!isRecord(resource) || !Array.isArray(resource.scopeSpans)) return resource;
      return {
        ...resource,
        scopeSpans: resource.scopeSpans.map((scope: unknown) =>
          isRecord(scope) && Array.isArray(scope.spans) ? { ...scope, spans: scope.spans.map(withHexIds) } : scope,
        ),
      };
    }),
  };
}

function decodeJson(type: protobuf.Type, body: Uint8Array): ExportRequest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new ValidationError('Request body is not valid JSON', { code: 'malformed_json' });
  }
  if (!isRecord(value)) throw new ValidationError('Request body must be a JSON object');
  try {
    return type.toObject(type.fromObject(withJsonIds(value)), TO_OBJECT);
  } catch (error) {
    // protobufjs names the field: ".opentelemetry.proto....ExportTraceServiceRequest.resourceSpans: array expected".
    const detail = error instanceof Error ? error.message.replace(/^\.(?:[a-z0-9_]+\.)+[A-Z]\w*\./, '') : 'invalid';
    throw new ValidationError(`Request body is invalid ExportTraceServiceRequest: ${detail}`);
  }
}

// --- OTLP values to the demo's span rows ----------------------------------------------------------

function plainValue(value: AnyValue | undefined): unknown {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    const int = Number(value.intValue);
    return Number.isSafeInteger(int) ? int : value.intValue;
  }
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plainValue);
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue).toString('base64');
  return null;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) if (key) out[key] = plainValue(value);
  return out;
}

const hex = (bytes: Bytes | undefined): string => (bytes ? Buffer.from(bytes).toString('hex') : '');
const isZero = (bytes: Bytes): boolean => bytes.every((byte) => byte === 0);

function nanosToIso(nanos: string | undefined): string | null {
  if (nanos === undefined || !/^\d{1,20}$/.test(nanos) || BigInt(nanos) === 0n) return null;
  const ms = Number(BigInt(nanos) / 1_000_000n);
  return ms <= 8.64e15 ? new Date(ms).toISOString() : null;
}

/** A span row, or why OTLP calls this span invalid (ids of the wrong length, no name, bad times). */
function toSpan(span: OtlpSpan): Span | string {
  const traceId = span.traceId ?? new Uint8Array(0);
  const spanId = span.spanId ?? new Uint8Array(0);
  const parent = span.parentSpanId ?? new Uint8Array(0);
  if (traceId.length !== 16 || isZero(traceId)) return 'trace_id must be 16 bytes, not all zero';
  if (spanId.length !== 8 || isZero(spanId)) return 'span_id must be 8 bytes, not all zero';
  if (parent.length !== 0 && parent.length !== 8) return 'parent_span_id must be empty or 8 bytes';
  if (!span.name?.trim()) return 'name is required';
  const start = nanosToIso(span.startTimeUnixNano);
  const end = nanosToIso(span.endTimeUnixNano);
  if (start === null || end === null) return 'start_time_unix_nano and end_time_unix_nano are required';
  if (end < start) return 'end_time_unix_nano must not be before start_time_unix_nano';
  return {
    trace_id: hex(traceId),
    span_id: hex(spanId),
    parent_id: parent.length === 0 ? null : hex(parent),
    name: span.name.slice(0, 1000),
    start_time: start,
    end_time: end,
    attributes: attributesOf(span.attributes),
  };
}

/**
 * Decodes an OTLP ExportTraceServiceRequest (protobuf or JSON) into span rows per project. A body
 * that cannot be decoded is a 422; a span that decodes but is invalid is counted as rejected and
 * the rest are kept, which the answer reports as OTLP's partial success.
 */
export function decodeExportRequest(types: OtlpTraceTypes, encoding: OtlpEncoding, body: Uint8Array): DecodedExport {
  const request = encoding === 'protobuf' ? decodeProtobuf(types.request, body) : decodeJson(types.request, body);
  const byProject = new Map<string, Span[]>();
  const seen = new Set<string>();
  const reasons: string[] = [];
  let rejected = 0;
  (request.resourceSpans ?? []).forEach((resource, r) => {
    const named = attributesOf(resource.resource?.attributes)[PROJECT_NAME_ATTRIBUTE];
    const projectName = typeof named === 'string' && named.trim() ? named.trim().slice(0, 1000) : DEFAULT_PROJECT;
    (resource.scopeSpans ?? []).forEach((scope, s) => {
      (scope.spans ?? []).forEach((otlpSpan, i) => {
        let span = toSpan(otlpSpan);
        if (typeof span !== 'string' && seen.has(span.span_id))
          span = `span_id ${span.span_id} appears twice in the request`;
        if (typeof span === 'string') {
          rejected += 1;
          if (reasons.length < MAX_REASONS) reasons.push(`resourceSpans[${r}].scopeSpans[${s}].spans[${i}]: ${span}`);
          return;
        }
        seen.add(span.span_id);
        const list = byProject.get(projectName) ?? [];
        list.push(span);
        byProject.set(projectName, list);
      });
    });
  });
  const batches = [...byProject].map(([projectName, spans]) => ({ projectName, spans }));
  return { batches, rejected, reasons };
}

/** ExportTraceServiceResponse in the request's encoding; `partialSuccess` only when spans were refused. */
export function encodeExportResponse(types: OtlpTraceTypes, encoding: OtlpEncoding, decoded: DecodedExport): Response {
  const partial =
    decoded.rejected > 0
      ? {
          partialSuccess: {
            rejectedSpans: decoded.rejected,
            errorMessage: `${decoded.rejected} spans rejected: ${decoded.reasons.join('; ')}`,
          },
        }
      : {};
  const message = types.response.fromObject(partial);
  if (encoding === 'json') {
    return new Response(JSON.stringify(types.response.toObject(message, { longs: String })), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }
  const bytes = types.response.encode(message).finish();
  return new Response(bytes, { status: 200, headers: { 'content-type': 'application/x-protobuf' } });
}
