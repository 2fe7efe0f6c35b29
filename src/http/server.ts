/**
 * `startServer()` listens and returns `{ url, close }` (STYLE.md §5): timeouts against slow clients,
 * TLS when configured, clean replies to malformed requests, and a graceful close.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostPort } from '../config/types.js';
import { ProxyError } from '../errors.js';
import { formatRawReply } from './raw-reply.js';

export interface ServerOptions {
  readonly listen: HostPort;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** PEM contents, not paths. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly keepAliveTimeoutMs?: number;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8003` (the bound port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  readonly server: http.Server;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer({
  listen,
  handle,
  upgrade,
  tls = null,
  headersTimeoutMs = 10_000,
  requestTimeoutMs = 30_000,
  keepAliveTimeoutMs = 5_000,
}: ServerOptions): Promise<RunningServer> {
  const options = {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    // Check the timeouts about once a second (CONFIG.md "Framing and paths").
    connectionsCheckingInterval: 1000,
    // Node answers an HTTP/1.1 request without Host with its own chunked 400, outside device framing; the
    // proxy reads such a request like an HTTP/1.0 one instead (the origin is the address it reached).
    requireHostHeader: false,
  };
  // Responses being written, so that a shutdown can tell their keep-alive connections to close.
  const open = new Set<ServerResponse>();
  let stopping = false;
  const tracked = (req: IncomingMessage, res: ServerResponse): void => {
    open.add(res);
    if (stopping) res.shouldKeepAlive = false;
    res.once('close', () => open.delete(res));
    // Once shutting down, a keep-alive connection whose response just finished is idle: close it now
    // rather than let it hold the shutdown for `keepAliveTimeout` or the whole grace period.
    res.once('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
    handle(req, res);
  };
  const server = tls
    ? https.createServer({ ...options, cert: tls.cert, key: tls.key }, tracked)
    : http.createServer(options, tracked);
  if (upgrade) server.on('upgrade', upgrade);
  server.on('clientError', answerClientError);
  if (tls) server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const what = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
      const reason =
        error.code === 'EADDRINUSE'
          ? 'the port is already in use'
          : error.code === 'EACCES'
            ? 'permission denied'
            : error.message;
      reject(new ProxyError('LISTEN_FAILED', `cannot listen on ${what}: ${reason}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(listen.port, listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : listen.port;
  const host =
    listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' ? '127.0.0.1' : listen.host;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    server,
    close(graceMs = 0) {
      closing ??= new Promise<void>((resolve) => {
        stopping = true;
        // Replies not yet begun announce `Connection: close`; their connections end with them.
        for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * Malformed requests get a framed reply (never Node's bare one) and the connection closed — also when the
 * body turns out broken after the handler started (a bad chunk, an unknown Transfer-Encoding), as long as
 * that handler has not begun its own reply (Node's rule for its default reply, `socketOnError`).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight =
    (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage ?? null;
  if (!socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const reply = formatRawReply(status, {
    contentType: 'text/plain; charset=utf-8',
    body: `${(STATUS_CODES[status] ?? 'error').toLowerCase()}\n`,
  });
  if (inFlight !== null) {
    // The handler still holds a response for this socket: destroyed right after the reply, the socket takes
    // no later write from it (ending it instead would make such a write an unhandled error).
    socket.write(reply);
    socket.destroy();
    return;
  }
  socket.end(reply);
  // The listener allows half-open sockets, so ending our side does not close a client that keeps its own
  // open (a slow-loris that keeps dripping): give it a moment to read the reply, then drop the socket.
  const linger = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/** How long a client that got a 400/408/431 may keep its socket open to read it. */
const CLIENT_ERROR_LINGER_MS = 1000;
