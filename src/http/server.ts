/**
 * `startServer()` listens and returns `{ url, close }` (docs/contributing.md §5): timeouts against slow clients, TLS
 * when configured, one request at a time per connection (connection-queue.ts), framed replies wherever Node
 * would write its own (malformed requests, an unmet `Expect`, CONNECT), and a graceful close that answers
 * every request already received.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostPort } from '../config/types.js';
import { ProxyError } from '../errors.js';
import { unmapAddress } from '../match/cidr.js';
import { queuePerConnection } from './connection-queue.js';
import { writeError } from './framing.js';
import { formatRawReply, writeRawReply } from './raw-reply.js';

export interface ServerOptions {
  readonly listen: HostPort;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** PEM contents, not paths. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly keepAliveTimeoutMs?: number;
  /** Requests that may wait behind the one being answered on a connection; one more closes it with a 503. */
  readonly maxWaitingPerConnection?: number;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8003` (the bound port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  readonly server: http.Server;
  /**
   * Stops accepting, closes idle keep-alive connections, answers every request already received (also
   * those on connections still in the accept queue) for up to `graceMs`, then drops what is left.
   */
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
  maxWaitingPerConnection = 8,
}: ServerOptions): Promise<RunningServer> {
  const options = {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    // Check the timeouts about once a second (docs/configuration.md "Framing and paths").
    connectionsCheckingInterval: 1000,
    // Node answers an HTTP/1.1 request without Host with its own chunked 400, outside device framing; the
    // proxy reads such a request like an HTTP/1.0 one instead (the origin is the address it reached).
    requireHostHeader: false,
  };
  // The newest response of each connection not yet finished, and whether its client asked to keep the
  // connection: a shutdown closes each connection after the last request it has received, not before.
  const newest = new Map<Socket, ServerResponse>();
  const keepAlive = new WeakMap<ServerResponse, boolean>();
  // A reply still queued when its connection dies never emits 'close': the connection's end forgets it.
  const watched = new WeakSet<Socket>();
  let stopping = false;
  const closeAfter = (res: ServerResponse): void => {
    if (!res.headersSent) res.shouldKeepAlive = false;
  };
  // Once shutting down, a keep-alive connection whose response just finished is idle: close it now rather
  // than let it hold the shutdown for `keepAliveTimeout` or the whole grace period. Watched from the stop
  // on: each connection's newest response then, and every response received after.
  const closeIdleAfter = (res: ServerResponse): void => {
    if (res.writableFinished) return;
    res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  };
  const answer = queuePerConnection(handle, {
    maxWaiting: maxWaitingPerConnection,
    refuse: (req, res) => writeError(req, res, 503, 'too many pipelined requests', { close: true }),
  });
  const receive = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    if (!watched.has(socket)) {
      watched.add(socket);
      socket.once('close', () => newest.delete(socket));
    }
    const before = newest.get(socket);
    newest.set(socket, res);
    keepAlive.set(res, res.shouldKeepAlive);
    if (stopping) {
      // Received during shutdown: answered, with `Connection: close` — and the one before it on this
      // connection keeps it open again for this one (if its head is not written yet).
      if (before !== undefined && !before.headersSent)
        before.shouldKeepAlive = keepAlive.get(before) ?? false;
      closeAfter(res);
    }
    res.once('close', () => {
      if (newest.get(socket) === res) newest.delete(socket);
    });
    if (stopping) closeIdleAfter(res);
    answer(req, res);
  };
  const server = tls
    ? https.createServer({ ...options, cert: tls.cert, key: tls.key }, receive)
    : http.createServer(options, receive);
  // Every reply Node would otherwise write by itself is written here, framed (docs/configuration.md "Fleet and
  // hardening amendments": "Every reply on a device path is framed by the proxy").
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueWhenRead(req, res);
    receive(req, res);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    writeError(req, res, 417, 'expectation failed', { close: true }),
  );
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    writeRawReply(socket, 501, { contentType: 'text/plain; charset=utf-8', body: 'not implemented\n' });
  });
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
      closing ??= (async () => {
        stopping = true;
        // The last reply received on each connection announces `Connection: close` (when not begun yet);
        // the connection ends with it, after every request before it has been answered.
        for (const res of newest.values()) {
          closeAfter(res);
          closeIdleAfter(res);
        }
        const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
        server.closeIdleConnections();
        // Closing the listener resets the connections the kernel has accepted but Node has not yet taken
        // (Node takes one per event-loop turn): their devices have sent their requests, so take them first.
        await acceptQueued(server, graceMs);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        clearTimeout(cutOff);
      })();
      return closing;
    },
  };
}

/**
 * Waits until every connection the kernel had accepted when this was called has been taken by Node (libuv
 * takes one per event-loop turn, so under load hundreds can wait there; closing the listener would reset
 * them with their requests unanswered). A sentinel connection to the listener itself joins the end of that
 * FIFO queue: once Node takes it, everything queued before has been taken. Ends early on `maxMs`, or when
 * the sentinel cannot connect.
 */
function acceptQueued(server: http.Server, maxMs: number): Promise<void> {
  const address = server.address();
  if (maxMs <= 0 || address === null || typeof address === 'string') return Promise.resolve();
  const host =
    address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return new Promise((resolve) => {
    const taken = new Map<string, Socket>();
    let sentinelAt: string | null = null;
    const finish = (): void => {
      clearTimeout(limit);
      server.off('connection', onConnection);
      sentinel.destroy();
      resolve();
    };
    const onConnection = (socket: Socket): void => {
      const from = `${unmapAddress(socket.remoteAddress ?? '')}:${socket.remotePort ?? ''}`;
      taken.set(from, socket);
      if (from === sentinelAt) {
        socket.destroy();
        finish();
      }
    };
    const limit = setTimeout(finish, maxMs);
    server.on('connection', onConnection);
    const sentinel = net.connect({ host, port: address.port });
    sentinel.on('error', finish);
    sentinel.once('connect', () => {
      sentinelAt = `${unmapAddress(sentinel.localAddress ?? '')}:${sentinel.localPort ?? ''}`;
      // Taken before this side saw its connect: already done.
      const mine = taken.get(sentinelAt);
      if (mine !== undefined) {
        mine.destroy();
        finish();
      }
    });
  });
}

/**
 * `Expect: 100-continue`: the interim `100 Continue` goes out only once the handler starts reading the
 * body (RFC 9110 §10.1.1), so a request refused unread (413 over `limits.device_body_bytes`, 404) gets
 * its final reply instead — and Node then closes the connection, whose body was never sent.
 */
function continueWhenRead(req: IncomingMessage, res: ServerResponse): void {
  req.once('resume', () => {
    if (!res.headersSent && !res.writableEnded && !res.destroyed) res.writeContinue();
  });
}

/**
 * Malformed requests get a framed reply (never Node's bare one) and the connection closed — also when the
 * body turns out broken after the handler started (a bad chunk, an unknown Transfer-Encoding), as long as
 * that handler has not begun its own reply (Node's rule for its default reply, `socketOnError`).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight =
    (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage ?? null;
  if (error.code === 'HPE_CLOSED_CONNECTION' && inFlight !== null) {
    // Bytes after a request that said `Connection: close`: never processed (RFC 9112 §9.6), and no reason to
    // cost that request its reply, which closes the connection. Stop reading (the way Node pauses itself).
    const paused = socket as Socket & { _paused?: boolean };
    paused._paused = true;
    paused.pause();
    return;
  }
  if (!socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
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

/** The status of each parse failure Node names (the rest are 400), as Node's own `socketOnError` picks them. */
const CLIENT_ERROR_STATUS: Readonly<Record<string, number>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

/** How long a client that got a 400/408/413/431 may keep its socket open to read it. */
const CLIENT_ERROR_LINGER_MS = 1000;
