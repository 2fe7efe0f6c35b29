/**
 * The buffered mode: one request upstream and its whole reply, decoded and bounded, within one deadline
 * (the OTA check, GET, activate, /admin/explain's live ask). The deadline runs from the moment the exchange
 * starts — the wait for a pooled connection, the connect, the reply — and the logged time is measured on
 * the same clock, so it never exceeds the deadline by more than timer lateness.
 *
 * It runs on undici's dispatcher (upstream/agents.ts `buffered`) with the guards of upstream/call.ts: a 101
 * nobody asked for, a connection closed before any reply, a reply cut short, a body over the limit — each
 * ends the exchange with one `UpstreamError`, and an exchange that fails after it started has its
 * connection destroyed (undici never pools the connection of an aborted request).
 */
import type { Dispatcher } from 'undici';
import type { UpstreamTarget } from '../config/types.js';
import { UpstreamError } from '../errors.js';
import { classifyUpstreamError, type TransportFailure } from '../gateway/upstream-failure.js';
import type { UpstreamExchange, UpstreamHeaders } from '../gateway/upstream-verdict.js';
import type { UpstreamAgents } from './agents.js';
import { decodeChunks, encodingOf } from './decode.js';

export interface ExchangeRequest {
  readonly target: UpstreamTarget;
  readonly method: string;
  /** Path and query, e.g. `/xiaozhi/ota/`. */
  readonly path: string;
  /**
   * Flat raw pairs (`[name, value, …]`): names keep the device's casing and order. The Host pair is sent
   * first as `host`, and the framing (`content-length`, `connection`) is undici's.
   */
  readonly headers: readonly string[];
  /** Sent with a Content-Length; `null` sends no body. */
  readonly body: Buffer | null;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly agents: UpstreamAgents;
}

/** Sends one request upstream and buffers the reply; never throws, never outlives `timeoutMs`. */
export function exchange(request: ExchangeRequest): Promise<UpstreamExchange> {
  return new Promise((resolve) => {
    new BufferedExchange(request, resolve).start(request);
  });
}

/** `http://host:port` of a target (an IPv6 host keeps its brackets). */
function originOf(target: UpstreamTarget): string {
  return `${target.scheme}://${target.host}:${target.port}`;
}

type Controller = Dispatcher.DispatchController;

class BufferedExchange implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly resolve: (result: UpstreamExchange) => void;
  private readonly limit: number;
  private readonly timer: NodeJS.Timeout;
  private controller: Controller | null = null;
  private done = false;
  private status = 0;
  private headers: UpstreamHeaders = {};
  private encoding = 'identity';
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(request: ExchangeRequest, resolve: (result: UpstreamExchange) => void) {
    this.resolve = resolve;
    this.limit = request.maxBodyBytes;
    this.timer = setTimeout(BufferedExchange.onDeadline, request.timeoutMs, this, request.timeoutMs);
  }

  start(request: ExchangeRequest): void {
    const { body } = request;
    try {
      request.agents.buffered.pool(originOf(request.target)).dispatch(
        {
          method: request.method as Dispatcher.HttpMethod,
          path: request.path,
          headers: request.headers as string[],
          body,
          // Both sides of a device exchange are bounded by the deadline, not by undici's own timers.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        this,
      );
    } catch (error) {
      // undici refused to build the request (a header it will not write): nothing went out.
      this.fail(classifyUpstreamError(error), 'the upstream request could not be sent', error);
    }
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    // The deadline passed while the request waited for a connection: it is not sent at all.
    if (this.done) controller.abort(new UpstreamError('timeout', 'the exchange ended before it was sent'));
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: UpstreamHeaders): void {
    if (this.done) return;
    // A 101 nobody asked for: the connection no longer speaks HTTP. Other 1xx are interim, the reply follows.
    if (statusCode === 101) {
      this.fail('protocol', 'the upstream switched protocols unasked');
      return;
    }
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    this.encoding = encodingOf(first(headers['content-encoding']));
    const declared = first(headers['content-length']);
    if (this.encoding === 'identity' && declared !== undefined && Number(declared) > this.limit)
      this.fail('too-large', `the upstream declared ${declared} bytes (limit ${this.limit})`);
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.fail('too-large', `the upstream reply is over ${this.limit} bytes`);
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.done) return;
    const body = decodeChunks(this.chunks, this.size, this.encoding, this.limit);
    if (body instanceof UpstreamError) {
      this.failWith(body);
      return;
    }
    this.done = true;
    this.chunks = [];
    clearTimeout(this.timer);
    this.resolve({ kind: 'response', status: this.status, headers: this.headers, body, ms: this.elapsed() });
  }

  onResponseError(_controller: Controller, error: Error): void {
    if (this.done) return;
    // Once the status line is in, a broken connection cuts the reply short.
    if (this.status !== 0) this.fail('truncated', 'the upstream reply was cut short', error);
    else this.fail(classifyUpstreamError(error), `the upstream request failed: ${error.message}`, error);
  }

  /** Ends the exchange as failed (once); a request already started is aborted with its connection. */
  private fail(failure: TransportFailure, message: string, cause?: unknown): void {
    this.failWith(new UpstreamError(failure, message, cause === undefined ? {} : { cause }));
  }

  private failWith(error: UpstreamError): void {
    if (this.done) return;
    this.done = true;
    this.chunks = [];
    clearTimeout(this.timer);
    this.controller?.abort(error);
    this.resolve({ kind: 'failure', failure: error.failure, cause: error, ms: this.elapsed() });
  }

  private elapsed(): number {
    return Math.round((performance.now() - this.started) * 10) / 10;
  }

  private static onDeadline(pending: BufferedExchange, timeoutMs: number): void {
    pending.fail('timeout', `no complete upstream reply within ${timeoutMs} ms`);
  }
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' || value === undefined ? value : value[0];
}
