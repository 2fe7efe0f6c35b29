/**
 * One HTTP exchange over a raw socket, as a device makes it: exact request bytes out, exact response bytes
 * back (header casing and framing are only visible there, device-contract.md §2). Never throws; a failure
 * is classified like the proxy's own upstream failures.
 */
import net from 'node:net';
import tls from 'node:tls';
import { classifyUpstreamError, type UpstreamFailure } from '../gateway/upstream-failure.js';
import { parseHttpResponse, type HttpResponse } from './http-message.js';

export interface RawExchangeOptions {
  /** Host to connect to (IPv6 without brackets or with; both work). */
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
  /** TLS server name; defaults to `host` when it is a name. */
  readonly servername?: string;
  /** Verify the server's certificate (TLS only). */
  readonly verify?: boolean;
  readonly bytes: Buffer;
  readonly timeoutMs: number;
  /** Stop reading past this many bytes (the reply counts as too large). */
  readonly maxBytes?: number;
}

export type RawExchange =
  | {
      readonly kind: 'response';
      readonly response: HttpResponse;
      readonly bytes: number;
      readonly ms: number;
    }
  | {
      readonly kind: 'failure';
      readonly failure: UpstreamFailure;
      readonly code: string;
      readonly message: string;
      readonly ms: number;
    };

/** Sends `bytes`, reads the reply until its framing completes or the peer closes. */
export function rawExchange({
  host,
  port,
  tls: useTls = false,
  servername,
  verify = true,
  bytes,
  timeoutMs,
  maxBytes = 1024 * 1024,
}: RawExchangeOptions): Promise<RawExchange> {
  const started = performance.now();
  const ms = (): number => Math.round((performance.now() - started) * 10) / 10;
  const bare = host.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket: net.Socket = useTls
      ? tls.connect({
          host: bare,
          port,
          rejectUnauthorized: verify,
          ...(net.isIP(bare) === 0 || servername ? { servername: servername ?? bare } : {}),
        })
      : net.connect({ host: bare, port });
    const finish = (result: RawExchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const fail = (failure: UpstreamFailure, code: string, message: string): void =>
      finish({ kind: 'failure', failure, code, message, ms: ms() });
    const timer = setTimeout(
      () => fail('timeout', 'ETIMEDOUT', `no complete reply within ${timeoutMs} ms`),
      timeoutMs,
    );
    const attempt = (ended: boolean): void => {
      const parsed = parseHttpResponse(Buffer.concat(chunks, size), { ended });
      switch (parsed.state) {
        case 'complete':
          finish({ kind: 'response', response: parsed.response, bytes: size, ms: ms() });
          return;
        case 'invalid':
          if (ended || size > 0)
            fail(size === 0 ? 'reset' : 'protocol', size === 0 ? 'ECONNRESET' : 'HPE_INVALID', parsed.reason);
          return;
        case 'incomplete':
          if (ended) fail('truncated', 'ECONNRESET', 'the reply ended early');
          return;
        default: {
          const never: never = parsed;
          throw new Error(`unhandled parse state ${String(never)}`);
        }
      }
    };
    socket.once(useTls ? 'secureConnect' : 'connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) {
        fail('too-large', 'ERR_TOO_LARGE', `the reply is over ${maxBytes} bytes`);
        return;
      }
      attempt(false);
    });
    socket.on('end', () => attempt(true));
    socket.on('close', () => attempt(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // Data already complete by its framing wins over a reset that follows it.
      if (size > 0) {
        const parsed = parseHttpResponse(Buffer.concat(chunks, size), { ended: true });
        if (parsed.state === 'complete' && parsed.response.complete) {
          finish({ kind: 'response', response: parsed.response, bytes: size, ms: ms() });
          return;
        }
      }
      fail(classifyUpstreamError(error), error.code ?? 'ERROR', error.message);
    });
  });
}
