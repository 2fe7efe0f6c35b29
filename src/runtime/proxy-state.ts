/**
 * The state the request handlers and the operator surface share: the live config and catalog, upstream
 * agents, breaker, fallback memory, and where answered exchanges are reported.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Catalog } from '../firmware/types.js';
import type { CircuitBreaker } from '../fallback/breaker.js';
import type { DeviceMemory } from '../fallback/device-memory.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
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
}
