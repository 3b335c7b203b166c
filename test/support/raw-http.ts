/**
 * HTTP/1.1 over a raw socket, for the requests `fetch` will not send: a request target written byte
 * for byte (absolute-form, `..`, `\`, raw non-ASCII) and a `Host` header of the test's choosing.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with `\n`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawRequest {
  method: string;
  target: string;
  /** Sent first, as given; `Host` defaults to the server's address. */
  headers?: Record<string, string>;
  body?: string;
}

export function rawRequest(port: number, request: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, ...request.headers, Connection: 'close' };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`timeout on ${request.method} ${request.target}`)));
    socket.on('connect', () =>
      socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(request.body ?? '', 'utf8')])),
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = (split === -1 ? text : text.slice(0, split)).split('\r\n');
      const parsed: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon === -1) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        parsed[name] = parsed[name] === undefined ? value : `${parsed[name]}\n${value}`;
      }
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
        headers: parsed,
        body: split === -1 ? '' : text.slice(split + 4),
      });
    });
  });
}
