/**
 * The state the request handlers and the operator surface share: the live config and catalog, upstream
 * agents, breaker, fallback memory, where answered exchanges are reported, and the OTA check's upstream
 * step. The operator surface (src/admin/) reads the HTTP layer only through this interface, never by
 * importing src/http/ (an ESLint rule holds both sides to it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { RequestFacts } from '../device/types.js';
import type { Catalog } from '../firmware/types.js';
import type { CircuitBreaker } from '../fallback/breaker.js';
import type { DeviceMemory } from '../fallback/device-memory.js';
import type { FleetService } from '../fleet/service.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import type { UpstreamExchange } from '../gateway/upstream-verdict.js';
import type { UpstreamAgents } from '../upstream/agents.js';

export interface ProxyState {
  config(): Config;
  catalog(): Catalog | null;
  readonly logger: Logger;
  /** Keep-alive agents for plain HTTP upstream exchanges; each holds a device pool and a passthrough pool. */
  readonly agents: UpstreamAgents;
  readonly breaker: CircuitBreaker;
  readonly memory: DeviceMemory;
  /** Milliseconds since the epoch; tests pin it. */
  now(): number;
  /** Whether the main listener speaks TLS ({scheme} renders https/wss). */
  readonly tls: boolean;
  /** Last `timezone_offset` (minutes) the upstream sent: the fallback's zone with `timezone: upstream`. */
  lastUpstreamOffset: number | null;
  /** Called once per answered OTA exchange. */
  record(exchange: ExchangeRecord): void;
  /** The fleet (docs/fleet.md); `null` when `fleet.enabled` is false. */
  readonly fleet: FleetService | null;
  /** The OTA check's upstream step, for `POST /admin/explain`'s live ask. */
  readonly otaUpstream: OtaUpstream;
}

/** A device's OTA check as /admin/explain replays it upstream: never from or to a device. */
export interface OtaAsk {
  /** Raw header pairs as the device sent them. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The request as the proxy read it (the forwarded headers are built from it). */
  readonly facts: RequestFacts;
}

/**
 * How the OTA check talks to the upstream, so /admin/explain does exactly the same: `ask` sends the
 * check upstream as the check would (forwarded headers, deadline, size limit, agents) without touching
 * the breaker or any device. Reading the reply is gateway/upstream-verdict.ts `judgeUpstream`, pure.
 */
export interface OtaUpstream {
  ask(request: OtaAsk): Promise<UpstreamExchange>;
}

/**
 * The one listener for every operator route (`/healthz`, `/readyz`, `/metrics`, `/admin/…`): src/admin/
 * builds it, the HTTP layer hands it the requests gateway/route.ts sends its way.
 */
export type OperatorListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
