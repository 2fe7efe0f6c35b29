/**
 * The last `admin.exchanges` OTA exchanges, for `GET /admin/exchanges`: a fixed-size ring, resized on
 * reload, holding operator views that are redacted when recorded (a token or MQTT password is never kept
 * in memory for display) and whose bodies are bounded, so the ring's memory is bounded too.
 */
import { Hono } from 'hono';
import { redactSecrets, redactUrl } from '../gateway/redact.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';

/** Upstream bodies may be up to `upstream.max_body_bytes`; the view keeps this much of each body. */
export const MAX_VIEW_BODY_CHARS = 8192;

/**
 * How much of a body is redacted for its view: what is shown, with room for secrets that redaction
 * shortens. Redaction reads a cut body safely (a secret cut off at the end is hidden whole), so a body of
 * up to `upstream.max_body_bytes` costs no more than this on every exchange.
 */
const REDACTED_WINDOW_CHARS = MAX_VIEW_BODY_CHARS * 2;

/** One exchange as /admin/exchanges shows it: secrets redacted, bodies bounded, the low-level cause as text. */
export interface ExchangeView {
  /** ISO 8601. */
  readonly at: string;
  readonly kind: ExchangeRecord['kind'];
  readonly method: string;
  readonly path: string;
  readonly client: string;
  readonly device: ExchangeRecord['device'];
  readonly upstream: ExchangeRecord['upstream'];
  readonly outcome: ExchangeRecord['outcome'];
  readonly status: number;
  readonly rules: readonly string[];
  readonly notes: readonly string[];
  readonly repairs: readonly string[];
  readonly firmware: ExchangeRecord['firmware'];
  readonly upstreamBody: string | null;
  readonly replyBody: string | null;
  /** Set when the body above was cut at MAX_VIEW_BODY_CHARS. */
  readonly truncated?: readonly ('upstreamBody' | 'replyBody')[];
  readonly error?: string;
}

/**
 * Turns a record into its operator view: bodies, the request path and the error redacted (gateway/redact.ts),
 * then cut to their bound — a cut never exposes part of a secret, since what is cut is redacted as cut.
 */
export function viewOf(record: ExchangeRecord): ExchangeView {
  const truncated: ('upstreamBody' | 'replyBody')[] = [];
  const body = (text: string | null, name: 'upstreamBody' | 'replyBody'): string | null => {
    if (text === null) return null;
    const redacted = redactSecrets(
      text.length > REDACTED_WINDOW_CHARS ? text.slice(0, REDACTED_WINDOW_CHARS) : text,
    );
    if (redacted.length <= MAX_VIEW_BODY_CHARS && text.length <= REDACTED_WINDOW_CHARS) return redacted;
    truncated.push(name);
    return redacted.slice(0, MAX_VIEW_BODY_CHARS);
  };
  const view: ExchangeView = {
    at: new Date(record.at).toISOString(),
    kind: record.kind,
    method: record.method,
    path: redactUrl(record.path),
    client: record.address,
    device: { ...record.device },
    upstream: record.upstream === null ? null : { ...record.upstream },
    outcome: record.outcome,
    status: record.status,
    rules: [...record.rules],
    notes: [...record.notes],
    repairs: [...record.repairs],
    firmware: record.firmware === null ? null : { ...record.firmware },
    upstreamBody: body(record.upstreamBody, 'upstreamBody'),
    replyBody: body(record.replyBody, 'replyBody'),
  };
  const cause = describeCause(record.cause);
  const error = cause === null ? null : redactSecrets(cause);
  return {
    ...view,
    ...(truncated.length > 0 ? { truncated } : {}),
    ...(error === null ? {} : { error }),
  };
}

/** A bounded ring of exchange views; capacity 0 keeps nothing. Oldest entries go first. */
export class ExchangeLog {
  #capacity: number;
  #ring: (ExchangeView | undefined)[];
  /** Index of the next write. */
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#capacity = sanitize(capacity);
    this.#ring = new Array<ExchangeView | undefined>(this.#capacity);
  }

  get capacity(): number {
    return this.#capacity;
  }

  get size(): number {
    return this.#size;
  }

  /** Records one exchange (as its redacted view), overwriting the oldest when full. */
  push(record: ExchangeRecord): void {
    if (this.#capacity === 0) return;
    this.#ring[this.#next] = viewOf(record);
    this.#next = (this.#next + 1) % this.#capacity;
    this.#size = Math.min(this.#size + 1, this.#capacity);
  }

  /** Newest first. */
  list(): ExchangeView[] {
    const out: ExchangeView[] = [];
    for (let i = 1; i <= this.#size; i++) {
      const view = this.#ring[(this.#next - i + this.#capacity) % this.#capacity];
      if (view !== undefined) out.push(view);
    }
    return out;
  }

  /** Changes the capacity (`admin.exchanges` reloaded), keeping the newest entries that still fit. */
  resize(capacity: number): void {
    const next = sanitize(capacity);
    if (next === this.#capacity) return;
    const kept = this.list().slice(0, next).reverse();
    this.#capacity = next;
    this.#ring = new Array<ExchangeView | undefined>(next);
    this.#size = 0;
    this.#next = 0;
    for (const view of kept) {
      this.#ring[this.#next] = view;
      this.#next = (this.#next + 1) % next;
      this.#size += 1;
    }
  }

  clear(): void {
    this.#ring = new Array<ExchangeView | undefined>(this.#capacity);
    this.#next = 0;
    this.#size = 0;
  }
}

function sanitize(capacity: number): number {
  return Number.isInteger(capacity) && capacity > 0 ? capacity : 0;
}

/** The cause as one short line: `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1` (never a stack). */
function describeCause(cause: unknown): string | null {
  if (cause === undefined || cause === null) return null;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** `GET /admin/exchanges`: the ring, newest first (`?limit=`, `?device=`, `?kind=`). The caller gates it. */
export function exchangesRoutes(exchanges: ExchangeLog): Hono {
  const app = new Hono();
  app.get('/', (c) => {
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? Number.POSITIVE_INFINITY : Number(limitText);
    if (!(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 0) {
      return c.json({ error: 'bad request', detail: '`limit` must be a whole number ≥ 0' }, 400);
    }
    const device = c.req.query('device')?.trim().toLowerCase();
    const kind = c.req.query('kind');
    const selected = exchanges
      .list()
      .filter(
        (x) =>
          (device === undefined || device === '' || x.device.id === device) &&
          (kind === undefined || x.kind === kind),
      )
      .slice(0, limit);
    return c.json({
      capacity: exchanges.capacity,
      kept: exchanges.size,
      count: selected.length,
      exchanges: selected,
    });
  });
  return app;
}
