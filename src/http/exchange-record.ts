/** The record of one answered OTA exchange (log line, /metrics, /admin/exchanges), built one way everywhere. */
import type { IncomingMessage } from 'node:http';
import type { DeviceFacts } from '../device/types.js';
import type { ExchangeKind, ExchangeRecord } from './runtime.js';

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

export function exchangeRecord(
  req: IncomingMessage,
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
