/**
 * The operator surface beyond /healthz and /readyz: `GET /metrics`, `GET /admin/exchanges` and
 * `POST /admin/explain` (CONFIG.md "Framing and paths", `admin.*`). `createOperatorSurface` holds the
 * metrics and the exchange ring; the proxy service feeds it (exchanges, downloads, config loads) and mounts
 * its routes on the ops app. Which listener answers, and whether /admin exists at all, is decided by the
 * router (gateway/route.ts); the token is checked here, per request, so a reload applies at once.
 */
import type { IncomingMessage } from 'node:http';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/types.js';
import { forwardedHeaders, forwardingFacts } from '../gateway/forwarded-headers.js';
import type { FirmwareDownloadEvent } from '../http/firmware-route.js';
import type { ProxyState } from '../runtime/proxy-state.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { exchange } from '../upstream/exchange.js';
import { unmapAddress } from '../match/cidr.js';
import { requireAdminToken } from './admin-auth.js';
import { ExchangeLog } from './exchanges.js';
import {
  MAX_EXPLAIN_BYTES,
  explainCheck,
  explainRejected,
  readExplainInput,
  readSubject,
  type ExplainRequest,
} from './explain.js';
import { createMetrics, type MetricSources, type ProxyMetrics } from './metrics.js';

export interface OperatorSurface {
  readonly metrics: ProxyMetrics;
  readonly exchanges: ExchangeLog;
  /** Mounts /metrics and /admin/… on the ops app (the app's `mountOps` hook). */
  mount(app: Hono, runtime: ProxyState): void;
  /** Every answered OTA exchange (`App.onExchange`). */
  record(exchange: ExchangeRecord): void;
  /** Every /firmware/ download step (`AppDeps.onDownload`). */
  download(event: FirmwareDownloadEvent): void;
  /** A configuration was loaded: `start`, or a reload that kept (`failed`) or replaced (`ok`) the running one. */
  configLoaded(result: 'start' | 'ok' | 'failed', config: Config | null): void;
  /** Live state /metrics reads at scrape time (e.g. the voice proxy's counters). */
  setSources(sources: MetricSources): void;
}

export interface OperatorSurfaceOptions {
  /** `admin.exchanges` at start. */
  readonly exchanges: number;
  /** prom-client's process and Node.js metrics. */
  readonly processMetrics?: boolean;
}

/** Creates the metrics and the exchange ring for one proxy instance. */
export function createOperatorSurface({
  exchanges: capacity,
  processMetrics = true,
}: OperatorSurfaceOptions): OperatorSurface {
  const metrics = createMetrics({ processMetrics });
  const exchanges = new ExchangeLog(capacity);
  metrics.setSources({ exchangesKept: () => exchanges.size });

  return {
    metrics,
    exchanges,
    mount(app, runtime) {
      metrics.setSources({
        breaker: () => runtime.breaker.state,
        rememberedDevices: () => runtime.memory.size,
        catalogEntries: () => runtime.catalog()?.entries.length ?? null,
      });
      mountMetrics(app, metrics);
      mountAdmin(app, runtime, exchanges);
    },
    record(record) {
      metrics.observeExchange(record);
      exchanges.push(record);
    },
    download(event) {
      metrics.observeDownload(event);
    },
    configLoaded(result, config) {
      metrics.observeConfig(result, config?.hash ?? null);
      if (config !== null && result !== 'failed') exchanges.resize(config.admin.exchanges);
    },
    setSources(sources) {
      metrics.setSources(sources);
    },
  };
}

function mountMetrics(app: Hono, metrics: ProxyMetrics): void {
  app.get('/metrics', async (c) => {
    const text = await metrics.render();
    return c.body(text, 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  });
}

function mountAdmin(app: Hono, runtime: ProxyState, exchanges: ExchangeLog): void {
  const gate = requireAdminToken(() => runtime.config().admin.token);
  app.use('/admin', gate);
  app.use('/admin/*', gate);

  app.get('/admin', (c) =>
    c.json({
      endpoints: {
        'GET /admin/exchanges':
          'the last admin.exchanges OTA exchanges, newest first (?limit=, ?device=, ?kind=check|get|activate)',
        'POST /admin/explain':
          'run a device request through the pipeline against a given or the live upstream reply',
      },
    }),
  );

  app.get('/admin/exchanges', (c) => {
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

  app.post(
    '/admin/explain',
    bodyLimit({
      maxSize: MAX_EXPLAIN_BYTES,
      onError: (c) =>
        c.json(
          { error: 'too large', detail: `the explain request must stay under ${MAX_EXPLAIN_BYTES} bytes` },
          413,
        ),
    }),
    async (c) => {
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text()) as unknown;
      } catch {
        return c.json({ error: 'bad request', detail: 'the body must be JSON' }, 400);
      }
      const input = readExplainInput(body, { peer: peerOf(c.env) });
      if (typeof input === 'string') return c.json({ error: 'bad request', detail: input }, 400);
      const config = runtime.config();
      const subject = readSubject(input.request, { config, tls: runtime.tls });
      const bodyBytes = Buffer.byteLength(input.request.body, 'utf8');
      if (bodyBytes > config.limits.deviceBodyBytes)
        return c.json(explainRejected(bodyBytes, config.limits.deviceBodyBytes));
      const source = input.upstream === null ? 'live' : 'given';
      const upstream = input.upstream ?? (await askUpstream(input.request, subject.request, runtime));
      const explanation = explainCheck({
        subject,
        upstream,
        source,
        state: {
          config,
          catalog: runtime.catalog(),
          now: runtime.now(),
          // Reading the memory marks the device as recently seen; nothing else in it changes.
          remembered: runtime.memory.peek(subject.device.id),
          lastUpstreamOffset: runtime.lastUpstreamOffset,
          breakerOpen: runtime.breaker.state !== 'closed',
        },
      });
      return c.json(explanation);
    },
  );
}

/** The live upstream's answer to the request, sent as the OTA check would send it (never to a device). */
function askUpstream(
  request: ExplainRequest,
  facts: ReturnType<typeof readSubject>['request'],
  runtime: ProxyState,
): ReturnType<typeof exchange> {
  const config = runtime.config();
  const raw = request.headers.flatMap(([name, value]) => [name, value]);
  return exchange({
    target: config.upstream.target,
    method: 'POST',
    path: config.otaPath,
    headers: forwardedHeaders(raw, forwardingFacts(facts, config, runtime.tls)),
    body: Buffer.from(request.body, 'utf8'),
    timeoutMs: config.upstream.timeoutMs,
    maxBodyBytes: config.upstream.maxBodyBytes,
    agents: runtime.agents,
  });
}

/** The admin client's address (@hono/node-server passes the Node request as `env.incoming`). */
function peerOf(env: unknown): string {
  const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return unmapAddress(incoming?.socket.remoteAddress ?? '127.0.0.1');
}
