import { ValidationError } from '../errors/index.js';

/** Auth and management bodies are small; anything bigger is refused before it is read in full. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON object body: `application/json` only (415 otherwise), at most `MAX_BODY_BYTES`
 * (413, counted while streaming, whatever Content-Length claims), well-formed (400), an object (422).
 */
export async function readJsonObject(request: Request, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  const mediaType = type.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new ValidationError('Content-Type must be application/json', { code: 'unsupported_media_type' });
  }
  const text = await readText(request, limit, 'Request body is not valid UTF-8 JSON', 'malformed_json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('Request body is not valid JSON', { code: 'malformed_json' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The body as UTF-8 text, at most `limit` bytes (413, counted while streaming, whatever Content-Length claims). */
async function readText(
  request: Request,
  limit: number,
  undecodable: string,
  code: 'malformed_json' | 'bad_request',
): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit)
    throw new ValidationError(`Request body must be at most ${limit} bytes`, { code: 'payload_too_large' });

  let text = '';
  if (request.body) {
    const reader = (request.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          await reader.cancel();
          throw new ValidationError(`Request body must be at most ${limit} bytes`, { code: 'payload_too_large' });
        }
        text += decoder.decode(value, { stream: true });
      }
      text += decoder.decode();
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      throw new ValidationError(undecodable, { code: code });
    }
  }
  return text;
}

/**
 * Reads an `application/x-www-form-urlencoded` body (415 otherwise) of at most `limit` bytes (413).
 * A parameter given twice is refused (400): which of the two counts would be a guess.
 */
export async function readForm(request: Request, limit = MAX_BODY_BYTES): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? '';
  const mediaType = type.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw new ValidationError('Content-Type must be application/x-www-form-urlencoded', {
      code: 'unsupported_media_type',
    });
  }
  const form = new URLSearchParams(await readText(request, limit, 'Request body is not valid UTF-8', 'bad_request'));
  const names = [...form.keys()];
  if (new Set(names).size !== names.length)
    throw new ValidationError('A form parameter is given more than once', { code: 'bad_request' });
  return form;
}
