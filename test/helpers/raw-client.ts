/**
 * A raw-socket client: sends exact bytes, reads the exact bytes back. Header casing and framing are only
 * visible here (docs/contributing.md §14; docs/device-contract.md §2).
 */
import net from 'node:net';
import assert from 'node:assert/strict';

export interface RawResponse {
  readonly status: number;
  readonly statusLine: string;
  /** Raw pairs in wire order, casing kept. */
  readonly headers: readonly [string, string][];
  /** The bytes after the header block, as received (a chunked body stays chunked). */
  readonly body: Buffer;
  readonly raw: Buffer;
}

/** Sends `bytes` to 127.0.0.1:port and reads until the server closes (devices send Connection: close). */
export function rawRequest(
  port: number,
  bytes: Buffer | string,
  { timeoutMs = 10_000 } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no complete response within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`,
        ),
      );
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseRawResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(bytes);
  });
}

export function parseRawResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no header block in ${JSON.stringify(raw.toString('latin1'))}`);
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  return { status: Number(statusLine.split(' ')[1]), statusLine, headers, body: raw.subarray(end + 4), raw };
}

export function headerOf(response: RawResponse, name: string): string | undefined {
  return response.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** The names a device-facing reply may carry (docs/configuration.md "Framing and paths"). */
const DEVICE_HEADERS = new Set(['Content-Type', 'Content-Length', 'Date', 'Connection']);

/**
 * Asserts the device contract's framing on raw bytes: exactly `Content-Length` (that casing) matching the
 * body, no chunking or compression, only the allowed headers, whole reply under 4 KiB for JSON.
 */
export function assertDeviceFraming(
  response: RawResponse,
  { extraHeaders = [], maxBytes }: { extraHeaders?: readonly string[]; maxBytes?: number } = {},
): void {
  const allowed = new Set([...DEVICE_HEADERS, ...extraHeaders]);
  for (const [name] of response.headers)
    assert.ok(allowed.has(name), `unexpected header ${JSON.stringify(name)} in ${response.statusLine}`);
  const lengths = response.headers.filter(([name]) => name.toLowerCase() === 'content-length');
  assert.equal(lengths.length, 1, 'exactly one Content-Length');
  assert.equal(
    lengths[0]?.[0],
    'Content-Length',
    'Content-Length spelled with that exact casing (docs/device-contract.md §2)',
  );
  assert.equal(Number(lengths[0]?.[1]), response.body.length, 'Content-Length equals the body bytes');
  assert.equal(headerOf(response, 'transfer-encoding'), undefined, 'never chunked');
  assert.equal(headerOf(response, 'content-encoding'), undefined, 'never compressed');
  assert.match(
    headerOf(response, 'date') ?? '',
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    'a Date header, an IMF-fixdate',
  );
  if (maxBytes !== undefined)
    assert.ok(response.raw.length < maxBytes, `reply ${response.raw.length} bytes, limit ${maxBytes}`);
}
