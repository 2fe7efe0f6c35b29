/** The state the request handlers share: the live config and catalog, upstream agents, breaker, memory. */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Catalog } from '../firmware/types.js';
import type { CircuitBreaker } from '../fallback/breaker.js';
import type { DeviceMemory } from '../fallback/device-memory.js';
import type { UpstreamFailure } from '../gateway/upstream-failure.js';
import type { UpstreamAgents } from './upstream-client.js';

/** How one device-facing exchange ended, for the log line, /metrics and /admin/exchanges. */
export type CheckOutcome = 'rewritten' | 'passthrough' | 'fallback' | 'rejected' | 'failed';

export type ExchangeKind = 'check' | 'get' | 'activate' | 'download';

/** Everything known about one OTA exchange once it is answered. */
export interface ExchangeRecord {
  readonly kind: ExchangeKind;
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly address: string;
  readonly device: {
    readonly id: string | null;
    readonly board: string | null;
    readonly version: string | null;
  };
  readonly upstream: {
    readonly status: number | null;
    readonly ms: number;
    readonly failure: UpstreamFailure | null;
  } | null;
  readonly outcome: CheckOutcome;
  /** The status the client got. */
  readonly status: number;
  readonly rules: readonly string[];
  readonly notes: readonly string[];
  readonly repairs: readonly string[];
  /** `bread-compact-wifi 1.7.0 (xiaozhi-1.7.0.bin)` or why nothing was offered; `offer` is the same, structured. */
  readonly firmware: {
    readonly offered: string | null;
    readonly reason: string | null;
    readonly offer: {
      readonly board: string;
      readonly version: string;
      readonly file: string;
      readonly force: boolean;
    } | null;
  } | null;
  /** The upstream's reply body as text (for /admin/exchanges; redacted before it is shown). */
  readonly upstreamBody: string | null;
  readonly replyBody: string | null;
  /** The low-level error behind a failure: logged, never sent to a client. */
  readonly cause?: unknown;
}

export interface Runtime {
  config(): Config;
  catalog(): Catalog | null;
  readonly logger: Logger;
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
