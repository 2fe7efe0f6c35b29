/**
 * The buffered mode: one request upstream and its whole reply, decoded and bounded, within one deadline
 * (the OTA check, GET on the OTA path, activate, /admin/explain's live ask). The deadline runs from the
 * moment the exchange starts — the wait for a pooled socket, the connect, the reply — and the logged time is
 * measured on the same clock, so it never exceeds the deadline by more than timer lateness.
 */
import type { IncomingMessage } from 'node:http';
import type { UpstreamTarget } from '../config/types.js';
import { UpstreamError } from '../errors.js';
import { classifyUpstreamError } from '../gateway/upstream-failure.js';
import type { UpstreamExchange } from '../gateway/upstream-verdict.js';
import type { UpstreamAgents } from './agents.js';
import { UpstreamCall, type CallEvents } from './call.js';

export interface ExchangeRequest {
  readonly target: UpstreamTarget;
  readonly method: string;
  /** Path and query, e.g. `/xiaozhi/ota/`. */
  readonly path: string;
  /** Flat raw pairs (`[name, value, …]`): names keep the device's casing and order. */
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
    const pending = new BufferedExchange(request, resolve);
    pending.start(request);
  });
}

class BufferedExchange implements CallEvents {
  private readonly started = performance.now();
  private readonly resolve: (result: UpstreamExchange) => void;
  private readonly maxBodyBytes: number;
  private readonly timer: NodeJS.Timeout;
  private call: UpstreamCall | null = null;
  private status = 0;
  private res: IncomingMessage | null = null;

  constructor(request: ExchangeRequest, resolve: (result: UpstreamExchange) => void) {
    this.resolve = resolve;
    this.maxBodyBytes = request.maxBodyBytes;
    this.timer = setTimeout(BufferedExchange.onDeadline, request.timeoutMs, this, request.timeoutMs);
  }

  start(request: ExchangeRequest): void {
    const { body } = request;
    try {
      this.call = new UpstreamCall(
        {
          target: request.target,
          agents: request.agents,
          pool: 'device',
          method: request.method,
          path: request.path,
          headers: body === null ? request.headers : [...request.headers, 'Content-Length', `${body.length}`],
        },
        this,
      );
    } catch (error) {
      // Node refused to build the request (a header it will not write): nothing went out.
      this.failure(
        new UpstreamError(classifyUpstreamError(error), 'the upstream request could not be sent', {
          cause: error,
        }),
      );
      return;
    }
    this.call.request.end(body ?? undefined);
  }

  response(res: IncomingMessage): void {
    this.res = res;
    this.status = res.statusCode ?? 0;
    this.call?.readBody(this.maxBodyBytes);
  }

  body(body: Buffer): void {
    clearTimeout(this.timer);
    this.resolve({
      kind: 'response',
      status: this.status,
      headers: (this.res as IncomingMessage).headers,
      body,
      ms: this.elapsed(),
    });
  }

  failure(error: UpstreamError): void {
    clearTimeout(this.timer);
    this.resolve({ kind: 'failure', failure: error.failure, cause: error, ms: this.elapsed() });
  }

  private elapsed(): number {
    return Math.round((performance.now() - this.started) * 10) / 10;
  }

  private static onDeadline(pending: BufferedExchange, timeoutMs: number): void {
    pending.call?.fail('timeout', `no complete upstream reply within ${timeoutMs} ms`);
  }
}
