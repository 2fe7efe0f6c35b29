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
import { writeRawReply } from './raw-reply.js';

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
  };
  const server = tls ? https.createServer({ ...options, cert: tls.cert, key: tls.key }, handle) : http.createServer(options, handle);
  if (upgrade) server.on('upgrade', upgrade);
  server.on('clientError', answerClientError);
  if (tls) server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const what = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
      const reason = error.code === 'EADDRINUSE' ? 'the port is already in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
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
  const host = listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' ? '127.0.0.1' : listen.host;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    server,
    close(graceMs = 0) {
      closing ??= new Promise<void>((resolve) => {
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

/** Malformed requests get a framed reply (never Node's bare one) and the connection closed. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  writeRawReply(socket, status, { contentType: 'text/plain; charset=utf-8', body: `${(STATUS_CODES[status] ?? 'error').toLowerCase()}\n` });
}
