import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { ValidationError } from '@gatehouse-auth/core';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

const tooLarge = (limit: number) =>
  new ValidationError(`Request body must be at most ${limit} bytes`, { code: 'payload_too_large' });

/** The raw body, refused (413) past `limit` bytes while it streams in, whatever Content-Length claims. */
async function readBytes(request: Request, limit: number): Promise<Uint8Array> {
  if (Number(request.headers.get('content-length') ?? '0') > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/**
 * The body of an OTLP/HTTP request, undone from its Content-Encoding: none, `gzip` (what the
 * OpenTelemetry exporters send when compression is on) or `deflate`, as Phoenix takes them; any
 * other encoding is a 415. The decompressed size has the same cap, so a small gzip bomb is a 413.
 */
export async function readOtlpBody(request: Request, limit: number): Promise<Uint8Array> {
  const encoding = request.headers.get('content-encoding')?.trim().toLowerCase() || 'identity';
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate') {
    throw new ValidationError(`Unsupported content encoding: ${encoding}`, { code: 'unsupported_media_type' });
  }
  const raw = await readBytes(request, limit);
  if (encoding === 'identity') return raw;
  try {
    return await (encoding === 'gzip' ? gunzipAsync : inflateAsync)(raw, { maxOutputLength: limit });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new ValidationError(`Request body is not valid ${encoding} data`, { code: 'bad_request' });
  }
}
