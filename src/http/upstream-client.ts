/**
 * Buffered exchanges with the upstream xiaozhi-server (OTA check, GET, activate): one keep-alive agent per
 * scheme, one deadline for the whole exchange, a body limit, and compressed bodies decoded (we ask for
 * identity, but a proxy in between may compress anyway).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { UpstreamTarget } from '../config/types.js';
import { classifyUpstreamError, type UpstreamFailure } from '../gateway/upstream-failure.js';

export interface UpstreamAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  destroy(): void;
}

/** Keep-alive agents for plain HTTP exchanges (never for WebSocket upgrades). */
export function createUpstreamAgents({ maxSockets = 256, maxFreeSockets = 64 } = {}): UpstreamAgents {
  const options = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets,
    maxFreeSockets,
    scheduling: 'lifo' as const,
    timeout: 60_000,
  };
  const agents = { http: new http.Agent(options), https: new https.Agent(options) };
  return { ...agents, destroy: () => (agents.http.destroy(), agents.https.destroy()) };
}

export interface UpstreamRequest {
  readonly target: UpstreamTarget;
  readonly method: string;
  /** Path and query, e.g. `/xiaozhi/ota/`. */
  readonly path: string;
  /** Flat raw pairs (`[name, value, name, value …]`): names keep the device's casing and order. */
  readonly headers: readonly string[];
  readonly body: Buffer | null;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly agents: UpstreamAgents;
}

export type UpstreamExchange =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      /** Decoded (identity) bytes. */
      readonly body: Buffer;
      readonly ms: number;
    }
  | {
      readonly kind: 'failure';
      readonly failure: UpstreamFailure;
      readonly cause: unknown;
      readonly ms: number;
      readonly status?: number;
    };

class ExchangeFailure extends Error {
  readonly failure: UpstreamFailure;
  readonly status: number | undefined;
  constructor(
    failure: UpstreamFailure,
    message: string,
    { status, cause }: { status?: number; cause?: unknown } = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.failure = failure;
    this.status = status;
  }
}

/** Sends one request upstream and buffers the reply; never throws, never outlives `timeoutMs`. */
export async function exchange(request: UpstreamRequest): Promise<UpstreamExchange> {
  const started = performance.now();
  const ms = (): number => Math.round((performance.now() - started) * 10) / 10;
  try {
    const { res, body } = await send(request);
    return { kind: 'response', status: res.statusCode ?? 0, headers: res.headers, body, ms: ms() };
  } catch (error) {
    if (error instanceof ExchangeFailure) {
      const failure = {
        kind: 'failure' as const,
        failure: error.failure,
        cause: error.cause ?? error,
        ms: ms(),
      };
      return error.status === undefined ? failure : { ...failure, status: error.status };
    }
    return { kind: 'failure', failure: classifyUpstreamError(error), cause: error, ms: ms() };
  }
}

function send(request: UpstreamRequest): Promise<{ res: IncomingMessage; body: Buffer }> {
  const { target, agents } = request;
  const transport = target.scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: { res: IncomingMessage; body: Buffer }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else if (value) resolve(value);
    };
    const req = transport.request({
      host: target.host.replace(/^\[|\]$/g, ''),
      port: target.port,
      method: request.method,
      path: request.path,
      headers: request.body
        ? [...request.headers, 'Content-Length', String(request.body.length)]
        : [...request.headers],
      agent: target.scheme === 'https' ? agents.https : agents.http,
    });
    const timer = setTimeout(
      () =>
        finish(new ExchangeFailure('timeout', `no complete upstream reply within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    req.on('error', (error) => finish(error));
    // A 101 nobody asked for: Node has no handler for it and drops the socket without an error; a socket
    // that closes before any response ends the exchange too — neither waits for the timeout.
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      finish(
        Object.assign(new Error('the upstream switched protocols unasked'), {
          code: 'HPE_UNEXPECTED_UPGRADE',
        }),
      );
    });
    let responded = false;
    req.on('close', () => {
      if (!responded)
        finish(Object.assign(new Error('the upstream closed without a reply'), { code: 'ECONNRESET' }));
    });
    req.on('response', (res) => {
      responded = true;
      // A safety net only: readBody reports the precise failure first. Destroying the reply on purpose (over
      // the limit) also emits these synchronously, so they wait a turn rather than mislabel it "truncated".
      const truncated = (cause?: unknown): void =>
        void setImmediate(() =>
          finish(
            new ExchangeFailure(
              'truncated',
              'upstream reply ended early',
              cause === undefined ? {} : { cause },
            ),
          ),
        );
      res.on('error', truncated);
      res.on('aborted', () => truncated());
      readBody(res, request.maxBodyBytes).then(
        (body) => finish(null, { res, body }),
        (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
      );
    });
    req.end(request.body ?? undefined);
  });
}

/** Reads the body up to `limit` bytes (after decoding), refusing early on a declared length over it. */
async function readBody(res: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  const encoding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' && Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw new ExchangeFailure('too-large', `upstream declared ${declared} bytes (limit ${limit})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      // A compressed body may expand; the raw bytes are bounded too so a bomb never gets buffered.
      if (size > limit) {
        res.destroy();
        throw new ExchangeFailure('too-large', `upstream reply over ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ExchangeFailure) throw error;
    // The headers arrived, then the connection broke (reset, closed early): the body is cut short.
    throw new ExchangeFailure('truncated', 'upstream reply ended early', { cause: error });
  }
  if (!res.complete) throw new ExchangeFailure('truncated', 'upstream reply ended early');
  const raw = Buffer.concat(chunks, size);
  return decode(raw, encoding, limit);
}

function decode(raw: Buffer, encoding: string, limit: number): Buffer {
  if (raw.length === 0 || encoding === 'identity' || encoding === '') return raw;
  const options = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(raw, options);
      case 'deflate':
        // Some servers send raw deflate under this name (RFC 9110 §8.4.1.2 says zlib-wrapped).
        return raw[0] !== undefined && (raw[0] & 0x0f) === 8
          ? zlib.inflateSync(raw, options)
          : zlib.inflateRawSync(raw, options);
      case 'br':
        return zlib.brotliDecompressSync(raw, options);
      default:
        throw new ExchangeFailure('bad-encoding', `upstream used an unknown Content-Encoding "${encoding}"`);
    }
  } catch (error) {
    if (error instanceof ExchangeFailure) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new ExchangeFailure('too-large', 'decoded upstream reply over the limit', { cause: error });
    throw new ExchangeFailure('bad-encoding', `cannot decode the ${encoding} upstream reply`, {
      cause: error,
    });
  }
}
