/**
 * One request to the upstream with the guards every exchange needs, buffered or streamed: a `101` nobody
 * asked for ends the exchange and its socket is destroyed, never returned to the keep-alive pool (Node reads
 * a bare 101 as a complete reply and would pool a socket that no longer speaks HTTP); so do a connection
 * closed before any reply, a reply cut short, and a body over the limit. Every failure is one
 * `UpstreamError` (errors.ts), reported once; the failure kinds are gateway/upstream-failure.ts's.
 *
 * This runs on every OTA check: the listeners are the class's static functions, which find their call
 * through a symbol on the emitter, so an exchange allocates no closures of its own.
 */
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import type { Duplex, Writable } from 'node:stream';
import type { UpstreamTarget } from '../config/types.js';
import { UpstreamError } from '../errors.js';
import { classifyUpstreamError, type TransportFailure } from '../gateway/upstream-failure.js';
import { agentFor, type Pool, type PoolOption, type UpstreamAgents } from './agents.js';
import { decodeChunks, encodingOf } from './decode.js';

export interface CallOptions {
  readonly target: UpstreamTarget;
  readonly agents: UpstreamAgents;
  readonly pool: Pool;
  readonly method: string;
  /** Path and query, e.g. `/xiaozhi/ota/`. */
  readonly path: string;
  /** Flat raw pairs (`[name, value, …]`), framing included: names keep the device's casing and order. */
  readonly headers: readonly string[];
}

/** What a call reports: `response` before `body`; nothing at all after `failure`. */
export interface CallEvents {
  /** The status line and headers arrived (never a 101). */
  response(res: IncomingMessage): void;
  /** The whole body `readBody` was asked for, decoded. */
  body(body: Buffer): void;
  failure(error: UpstreamError): void;
}

const CALL = Symbol('upstream call');

type Tagged<T> = T & { [CALL]?: UpstreamCall };

export class UpstreamCall {
  readonly request: ClientRequest;
  /** The reply, once its status line and headers arrived. */
  response: IncomingMessage | null = null;
  private done = false;
  private readonly events: CallEvents;
  private chunks: Buffer[] = [];
  private size = 0;
  private limit = 0;
  private encoding = 'identity';
  private idleMs = 0;

  /** Opens the request; the caller writes or pipes the body and ends `request`. */
  constructor(options: CallOptions, events: CallEvents) {
    this.events = events;
    const { target } = options;
    const requestOptions: RequestOptions & PoolOption = {
      host: target.host.startsWith('[') ? target.host.slice(1, -1) : target.host,
      port: target.port,
      method: options.method,
      path: options.path,
      headers: options.headers,
      agent: agentFor(options.agents, target),
      pool: options.pool,
    };
    const request: Tagged<ClientRequest> = (target.scheme === 'https' ? https : http).request(requestOptions);
    request[CALL] = this;
    request.on('error', UpstreamCall.onRequestError);
    request.on('upgrade', UpstreamCall.onUpgrade);
    request.on('response', UpstreamCall.onResponse);
    request.on('close', UpstreamCall.onRequestClose);
    this.request = request;
  }

  /** Whether the exchange ended: failed, abandoned, or its reply read in full. */
  get ended(): boolean {
    return this.done;
  }

  /** Ends the exchange as failed (once): the request is destroyed with its socket, which is never reused. */
  fail(failure: TransportFailure, message: string, cause?: unknown): void {
    if (this.done) return;
    this.failWith(new UpstreamError(failure, message, cause === undefined ? {} : { cause }));
  }

  /** Ends the exchange without a report (the client went away): the upstream is released at once. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.request.destroy();
  }

  /** Ends the exchange after `ms` without progress either way (a streamed one: no single deadline). */
  idleTimeout(ms: number): void {
    this.idleMs = ms;
    this.request.setTimeout(ms);
    this.request.on('timeout', UpstreamCall.onIdle);
  }

  /** Pipes the reply to `client`; the exchange is complete once the reply has arrived whole. */
  relayTo(client: Writable): void {
    const res = this.response as IncomingMessage;
    res.on('end', UpstreamCall.onRelayEnd);
    res.pipe(client);
  }

  /**
   * Reads the rest of the reply and reports it to `body`, decoded: `too-large` when it declares, carries or
   * decodes to more than `limit` bytes (the raw bytes are bounded too, so a bomb is never buffered whole).
   */
  readBody(limit: number): void {
    const res = this.response as IncomingMessage;
    const { headers } = res;
    this.encoding = encodingOf(headers['content-encoding']);
    const declared = headers['content-length'];
    if (this.encoding === 'identity' && declared !== undefined && Number(declared) > limit) {
      this.fail('too-large', `the upstream declared ${declared} bytes (limit ${limit})`);
      return;
    }
    this.limit = limit;
    res.on('data', UpstreamCall.onBodyData);
    res.on('end', UpstreamCall.onBodyEnd);
  }

  private failWith(error: UpstreamError): void {
    if (this.done) return;
    this.done = true;
    this.chunks = [];
    this.request.destroy();
    this.events.failure(error);
  }

  private static onRequestError(this: Tagged<ClientRequest>, error: Error): void {
    const call = this[CALL];
    if (call === undefined) return;
    // Once the headers are in, a broken connection cuts the reply short.
    if (call.response !== null) call.fail('truncated', 'the upstream reply was cut short', error);
    else call.fail(classifyUpstreamError(error), `the upstream request failed: ${error.message}`, error);
  }

  /** A 101 with `Upgrade`: Node hands the socket over (it has left the pool) and it is destroyed here. */
  private static onUpgrade(this: Tagged<ClientRequest>, _res: IncomingMessage, socket: Duplex): void {
    socket.destroy();
    this[CALL]?.fail('protocol', 'the upstream switched protocols unasked');
  }

  private static onRequestClose(this: Tagged<ClientRequest>): void {
    const call = this[CALL];
    // Node emits no error for a connection that closes before any reply (or after a 100 Continue).
    if (call !== undefined && call.response === null)
      call.fail('reset', 'the upstream closed the connection before any reply');
  }

  private static onResponse(this: Tagged<ClientRequest>, res: Tagged<IncomingMessage>): void {
    const call = this[CALL];
    if (call === undefined || call.done) return;
    // A bare 101 (no `Upgrade` header) arrives as a complete reply whose socket Node would put back in the
    // pool; failing destroys the request and with it that socket.
    if (res.statusCode === 101) {
      call.fail('protocol', 'the upstream switched protocols unasked (a bare 101)');
      return;
    }
    call.response = res;
    res[CALL] = call;
    res.on('error', UpstreamCall.onResponseError);
    res.on('close', UpstreamCall.onResponseClose);
    call.events.response(res);
  }

  private static onIdle(this: Tagged<ClientRequest>): void {
    const call = this[CALL];
    call?.fail('timeout', `no progress from the upstream for ${call.idleMs} ms`);
  }

  private static onRelayEnd(this: Tagged<IncomingMessage>): void {
    const call = this[CALL];
    if (call !== undefined) call.done = true;
  }

  private static onResponseError(this: Tagged<IncomingMessage>, error: Error): void {
    this[CALL]?.fail('truncated', 'the upstream reply was cut short', error);
  }

  private static onResponseClose(this: Tagged<IncomingMessage>): void {
    if (!this.complete) this[CALL]?.fail('truncated', 'the upstream reply was cut short');
  }

  private static onBodyData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
    const call = this[CALL];
    if (call === undefined || call.done) return;
    call.size += chunk.length;
    if (call.size > call.limit) {
      call.fail('too-large', `the upstream reply is over ${call.limit} bytes`);
      return;
    }
    call.chunks.push(chunk);
  }

  private static onBodyEnd(this: Tagged<IncomingMessage>): void {
    const call = this[CALL];
    if (call === undefined || call.done) return;
    if (!this.complete) {
      call.fail('truncated', 'the upstream reply was cut short');
      return;
    }
    const body = decodeChunks(call.chunks, call.size, call.encoding, call.limit);
    if (body instanceof UpstreamError) {
      call.failWith(body);
      return;
    }
    call.done = true;
    call.chunks = [];
    call.events.body(body);
  }
}
