/** The record of one answered OTA exchange (log line, /metrics, /admin/exchanges), built one way everywhere. */
import type { DeviceFacts } from '../device/types.js';
import type { UpstreamFailure } from './upstream-failure.js';

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

/** What the handler learned; the lists default to empty, the rest to `null`. */
export type Learned = Pick<ExchangeRecord, 'outcome' | 'status'> &
  Partial<
    Pick<
      ExchangeRecord,
      'upstream' | 'rules' | 'notes' | 'repairs' | 'firmware' | 'upstreamBody' | 'replyBody' | 'cause'
    >
  >;

export interface ExchangeHead {
  readonly kind: ExchangeKind;
  readonly at: number;
  readonly address: string;
  /** `null` when the body was never read (413): the `Device-Id` header still names the device. */
  readonly device: DeviceFacts | null;
}

/** What the record reads of the request (a Node `IncomingMessage` is one). */
export interface RecordedRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export function exchangeRecord(
  req: RecordedRequest,
  { kind, at, address, device }: ExchangeHead,
  learned: Learned,
): ExchangeRecord {
  const {
    upstream = null,
    rules = [],
    notes = [],
    repairs = [],
    firmware = null,
    upstreamBody = null,
    replyBody = null,
    cause,
  } = learned;
  const header = req.headers['device-id'];
  return {
    kind,
    at,
    method: req.method ?? '',
    path: req.url ?? '',
    address,
    device: device
      ? { id: device.id, board: device.build, version: device.version }
      : {
          id: typeof header === 'string' && header !== '' ? header.toLowerCase() : null,
          board: null,
          version: null,
        },
    upstream,
    outcome: learned.outcome,
    status: learned.status,
    rules,
    notes,
    repairs,
    firmware,
    upstreamBody,
    replyBody,
    ...(cause === undefined ? {} : { cause }),
  };
}
