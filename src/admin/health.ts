/**
 * `GET /healthz` (the process is alive) and `GET /readyz`: 200 when the catalog is loaded (or none is
 * configured) and the upstream works (its breaker is closed) or the fallback can answer, 503 otherwise.
 * Beside the verdict, /readyz says what it saw: the breaker's state, the last upstream exchange's result
 * and when it happened, and the catalog's skipped entries and last load — problems shown, not only logged.
 */
import { Hono } from 'hono';
import type { ConfigIssue } from '../errors.js';
import type { BreakerState } from '../fallback/breaker.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import type { UpstreamFailure } from '../gateway/upstream-failure.js';
import type { CatalogStatus } from '../runtime/catalog-store.js';
import type { ProxyState } from '../runtime/proxy-state.js';

/** The last exchange with the upstream: `ok` (it answered, any status the reply table reads) or how it failed. */
export interface LastUpstreamExchange {
  readonly at: number;
  readonly result: 'ok' | UpstreamFailure;
  readonly status: number | null;
}

/** Remembers the last OTA exchange that actually reached the upstream (an open breaker asks nobody). */
export class UpstreamWatch {
  #last: LastUpstreamExchange | null = null;

  observe(record: ExchangeRecord): void {
    const upstream = record.upstream;
    if (upstream === null || upstream.failure === 'breaker-open') return;
    this.#last = { at: record.at, result: upstream.failure ?? 'ok', status: upstream.status };
  }

  get last(): LastUpstreamExchange | null {
    return this.#last;
  }
}

export interface HealthSources {
  readonly state: ProxyState;
  readonly upstream: UpstreamWatch;
  /** `null` without `firmware.dir`. */
  catalog(): CatalogStatus | null;
  /**
   * Further checks to report beside the built-in ones (the fleet store's `checks.store`: docs/fleet.md);
   * they inform, they never make the proxy unready — a load balancer must keep sending devices.
   */
  checks?(): Readonly<Record<string, string>>;
}

/** The /readyz body. */
export interface Readiness {
  readonly status: 'ready' | 'not ready';
  readonly checks: {
    readonly config: 'loaded';
    readonly catalog: 'loaded' | 'not loaded' | 'off';
    readonly upstream: {
      readonly breaker: BreakerState;
      /** `null` until an exchange reached the upstream. */
      readonly last: {
        readonly result: 'ok' | UpstreamFailure;
        readonly status: number | null;
        /** ISO 8601. */
        readonly at: string;
        readonly secondsAgo: number;
      } | null;
    };
    readonly fallback: 'can answer' | 'knows no transport yet' | 'off';
    /** Further checks (HealthSources.checks). */
    readonly [check: string]: unknown;
  };
  /** Absent without `firmware.dir`. */
  readonly catalog?: {
    readonly entries: number;
    readonly skipped: { readonly count: number; readonly reasons: readonly string[] };
    readonly lastLoad: {
      readonly result: 'ok' | 'failed';
      readonly trigger: string;
      readonly at: string;
      readonly secondsAgo: number;
      /** Why a failed load kept the previous catalog. */
      readonly problems?: readonly string[];
    } | null;
  };
}

/** Reads the sources into the /readyz body; pure apart from the clock the state gives. */
export function readiness({ state, upstream, catalog, checks }: HealthSources): Readiness {
  const config = state.config();
  const now = state.now();
  const when = (at: number): { at: string; secondsAgo: number } => ({
    at: new Date(at).toISOString(),
    secondsAgo: Math.max(0, Math.floor((now - at) / 1000)),
  });
  const breaker = state.breaker.state;
  const fallbackCanAnswer = config.fallback.enabled && (config.websocket !== null || state.memory.size > 0);
  const status = config.firmware.dir === null ? null : catalog();
  const catalogLoaded = config.firmware.dir === null || status?.loaded === true;
  const last = upstream.last;
  const ready = catalogLoaded && (breaker === 'closed' || fallbackCanAnswer);
  return {
    status: ready ? 'ready' : 'not ready',
    checks: {
      ...checks?.(),
      config: 'loaded',
      catalog: config.firmware.dir === null ? 'off' : catalogLoaded ? 'loaded' : 'not loaded',
      upstream: {
        breaker,
        last: last === null ? null : { result: last.result, status: last.status, ...when(last.at) },
      },
      fallback: config.fallback.enabled
        ? fallbackCanAnswer
          ? 'can answer'
          : 'knows no transport yet'
        : 'off',
    },
    ...(status === null || status === undefined
      ? {}
      : {
          catalog: {
            entries: status.entries,
            skipped: { count: status.skipped.entries, reasons: status.skipped.issues.map(describeIssue) },
            lastLoad:
              status.lastLoad === null
                ? null
                : {
                    result: status.lastLoad.ok ? 'ok' : 'failed',
                    trigger: status.lastLoad.trigger,
                    ...when(status.lastLoad.at),
                    ...(status.lastLoad.ok ? {} : { problems: status.lastLoad.issues.map(describeIssue) }),
                  },
          },
        }),
  };
}

/** An absolute path in a sentence (not a URL's path: no `:` or `/` or word character before it). */
const ABSOLUTE_PATH = /(?<![\w.:/])\/(?:[^\s/:`"']+\/)*([^\s/:`"']+)/g;

/**
 * An issue's sentence names its entry, the problem and where (firmware/catalog-validate.ts) — files and
 * folders by their last name only: /readyz needs no token, and the absolute paths the proxy runs from are
 * nobody else's business (the log, and `validate`, keep them whole).
 */
function describeIssue(issue: ConfigIssue): string {
  return issue.message.replace(ABSOLUTE_PATH, '$1');
}

/** The health routes: no token, on every listener gateway/route.ts sends them to. */
export function healthRoutes(sources: HealthSources): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const body = readiness(sources);
    return c.json(body, body.status === 'ready' ? 200 : 503, { 'Cache-Control': 'no-store' });
  });
  return app;
}
