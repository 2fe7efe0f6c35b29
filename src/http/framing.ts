/**
 * Device-facing replies, written with exact header casing (docs/device-contract.md §2).
 *
 * Node keeps the casing of names given to `writeHead` as a raw array; a web `Headers` object would
 * lowercase them (`content-length: 5`), which the 4G modem client and esp-ml307 ≤ 3.2.4 do not find.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TEXT_TYPE } from '../gateway/reply-table.js';

export type RawHeaders = [name: string, value: string][];

const KEEP_ALIVE = /keep-alive/i;
/** `close` as one of the comma-separated tokens (`Connection: keep-alive, close`), any case. */
const CLOSE_TOKEN = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;

/** Whether the client asked to close (devices always send `Connection: close`; HTTP/1.0 without keep-alive too). */
export function wantsClose(req: IncomingMessage): boolean {
  const connection = req.headers.connection ?? '';
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return !KEEP_ALIVE.test(connection);
  return CLOSE_TOKEN.test(connection);
}

/**
 * The only headers a device-facing reply carries: Content-Type (with a body), Content-Length spelled so,
 * Date, and Connection: close when asked (docs/configuration.md "Framing and paths"). `extra` is for /firmware/.
 */
export function deviceHeaders(
  req: IncomingMessage,
  {
    contentType,
    contentLength,
    extra = [],
    close = false,
  }: { contentType?: string | undefined; contentLength: number; extra?: RawHeaders; close?: boolean },
): RawHeaders {
  const headers: RawHeaders = [];
  const type = headerText(contentType);
  if (type !== undefined && contentLength > 0) headers.push(['Content-Type', type]);
  headers.push(['Content-Length', String(contentLength)]);
  headers.push(...extra);
  headers.push(['Date', httpDate()]);
  if (close || wantsClose(req)) headers.push(['Connection', 'close']);
  return headers;
}

/** The `Date` header's text, made once per second (as Node makes its own). */
let dateText = '';
let dateSecond = -1;

export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * Writes a whole buffered reply: never chunked, never compressed. A text body goes to Node as text, which
 * then writes the head and the body in one piece (a Buffer body is written beside the head, two pieces).
 */
export function writeDeviceReply(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  {
    contentType,
    body = Buffer.alloc(0),
    close = false,
  }: { contentType?: string | undefined; body?: Buffer | string; close?: boolean } = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  // `close`: input was left unread (a 413's body, a refused client's pipelined requests), so the connection
  // cannot carry another request.
  if (close) {
    res.shouldKeepAlive = false;
    lingerOnClose(req.socket);
  }
  withoutKeepAliveHint(res);
  res.writeHead(status, deviceHeaders(req, { contentType, contentLength: length, close }));
  if (req.method === 'HEAD') res.end();
  else if (typeof body === 'string') res.end(body, 'utf8');
  else res.end(body);
}

/**
 * How long a connection closed by such a reply stays half-closed before it is destroyed. Its client is
 * typically still writing (a body over the limit, a pipelined flood): a socket closed with input unread is
 * reset by the kernel, the client's next write fails (EPIPE), and the client throws away the replies it
 * had not read yet — this one among them. Half-closed for a moment instead, its writes stall rather than
 * fail, and it reads the reply and then the end (nginx's lingering close, without reading on).
 */
const LINGER_MS = 1000;

/** Node ends a `Connection: close` reply's socket with `destroySoon()`: here it lingers first. */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket): void {
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

/**
 * On a kept-alive connection Node adds `Keep-Alive: timeout=5` next to its `Connection: keep-alive`: a header
 * outside the device framing (docs/configuration.md "Framing and paths"). Its timeout is only that hint's (Node's own
 * `_keepAliveTimeout`, read when the head is written); the connection's real timeout is the server's.
 */
export function withoutKeepAliveHint(res: ServerResponse): void {
  (res as ServerResponse & { _keepAliveTimeout?: number })._keepAliveTimeout = 0;
}

export { JSON_TYPE, TEXT_TYPE } from '../gateway/reply-table.js';

/** A short plain-text error the proxy writes itself (413, 502, 504 …), framed like any device reply. */
export function writeError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  { close = false }: { close?: boolean } = {},
): void {
  writeDeviceReply(req, res, status, { contentType: TEXT_TYPE, body: `${text}\n`, close });
}

/**
 * An upstream's header value made writable: Node's parser accepts bytes (DEL, some controls) that its
 * writer refuses with a throw, so they are removed; `undefined` when nothing is left.
 */
function headerText(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const clean = value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').trim();
  return clean === '' ? undefined : clean;
}
