/**
 * One HTTP exchange over a raw socket, as a device makes it: exact request bytes out, exact response bytes
 * back (header casing and framing are only visible there, docs/device-contract.md §2). Never throws; a failure
 * is classified like the proxy's own upstream failures.
 */
import net from 'node:net';
import tls from 'node:tls';
import { classifyUpstreamError, type UpstreamFailure } from '../gateway/upstream-failure.js';
import { createResponseReader, type RawResponse, type ReadState } from '../http-wire/response-reader.js';

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
      /** As far as it came; whole by its framing unless `broken` says why not. */
      readonly response: RawResponse;
      /** Why a client could not use the reply as framed (cut short, a bad Content-Length …), else `null`. */
      readonly broken: string | null;
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
    const reader = createResponseReader();
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
    const settle = (state: ReadState): void => {
      switch (state.kind) {
        case 'more':
          return;
        case 'complete':
          finish({ kind: 'response', response: state.response, broken: null, ms: ms() });
          return;
        case 'malformed':
          // A reply whose head could be read is described, broken as it is; anything else is no HTTP reply.
          if (state.partial !== null)
            finish({ kind: 'response', response: state.partial, broken: state.reason, ms: ms() });
          else if (size === 0) fail('reset', 'ECONNRESET', 'the connection closed without a reply');
          else fail('protocol', 'HPE_INVALID', state.reason);
          return;
        default: {
          const never: never = state;
          throw new Error(`unhandled read state ${String(never)}`);
        }
      }
    };
    socket.once(useTls ? 'secureConnect' : 'connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        fail('too-large', 'ERR_TOO_LARGE', `the reply is over ${maxBytes} bytes`);
        return;
      }
      settle(reader.push(chunk));
    });
    socket.on('end', () => settle(reader.end()));
    socket.on('close', () => settle(reader.end()));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A body that runs to the close is whole when a reset ends it instead of a FIN.
      const state = size > 0 ? reader.end() : null;
      if (state?.kind === 'complete') settle(state);
      else fail(classifyUpstreamError(error), error.code ?? 'ERROR', error.message);
    });
  });
}
