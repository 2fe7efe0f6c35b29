/**
 * The streamed mode: the upstream download relays (`/xiaozhi/ota/download/…`, `/xiaozhi/otaMag/download/…`)
 * and the passthrough of every other path. The request body is piped up as it arrives, the reply is handed
 * over as soon as its headers are in; 30 s without progress either way ends the exchange
 * (docs/configuration.md "Framing and paths"), and a client that goes away releases the upstream at once
 * rather than after that timeout.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { UpstreamTarget } from '../config/types.js';
import type { Pool, UpstreamAgents } from './agents.js';
import { UpstreamCall, type CallEvents } from './call.js';

/** Downloads and other paths end after 30 s without progress (docs/configuration.md "Framing and paths"). */
export const IDLE_TIMEOUT_MS = 30_000;

export interface StreamRequest {
  readonly target: UpstreamTarget;
  readonly agents: UpstreamAgents;
  readonly pool: Pool;
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly path: string;
  /** Flat raw pairs, the body's framing included (`Content-Length`, or `Transfer-Encoding: chunked`). */
  readonly headers: readonly string[];
  /** Piped upstream as it arrives; `null` sends no body. */
  readonly body: Readable | null;
  /** The client's response: when it closes before it finished, the upstream is released at once. */
  readonly client: ServerResponse;
  readonly idleTimeoutMs?: number;
}

export interface StreamEvents extends CallEvents {
  /** The client went away first; the upstream was released and nothing else is reported. */
  abandoned(): void;
}

const CALL = Symbol('streamed call');

type Tagged<T> = T & { [CALL]?: { call: UpstreamCall; events: StreamEvents } };

/**
 * Opens a streamed exchange. The events' `response` decides what to do with the reply: relay it
 * (`call.relayTo(client)`) or buffer it (`call.readBody(limit)`, reported to `body`).
 */
export function streamExchange(request: StreamRequest, events: StreamEvents): UpstreamCall {
  const call = new UpstreamCall(
    {
      target: request.target,
      agents: request.agents,
      pool: request.pool,
      method: request.method,
      path: request.path,
      headers: request.headers,
    },
    events,
  );
  call.idleTimeout(request.idleTimeoutMs ?? IDLE_TIMEOUT_MS);
  const client: Tagged<ServerResponse> = request.client;
  client[CALL] = { call, events };
  client.on('close', onClientClose);
  if (request.body === null) call.request.end();
  else request.body.pipe(call.request);
  return call;
}

function onClientClose(this: Tagged<ServerResponse>): void {
  const tag = this[CALL];
  if (tag === undefined || this.writableFinished || tag.call.ended) return;
  tag.call.abandon();
  tag.events.abandoned();
}
