/**
 * The operator surface: every route that is not for devices — `/healthz`, `/readyz`, `/metrics`, `/admin`,
 * `/admin/exchanges`, `/admin/explain` — as ONE Hono app, handed to the HTTP layer as one Node request
 * listener (docs/configuration.md "Framing and paths"). Which listener answers which path, and whether
 * /admin exists there, is gateway/route.ts's decision; within the surface Hono routes.
 *
 * `/admin/…` is composed of sub-apps, each declaring its own gate: the JSON endpoints take the Bearer token
 * (admin/admin-auth.ts); the fleet API joins them as `admin.route('/api', …)` and the web console, with its
 * session cookie, as `admin.route('/console', …)` (docs/fleet.md). The shared state comes in through
 * ProxyState (runtime/proxy-state.ts), the service's own (catalog loads) through `OperatorSurfaceOptions`.
 */
import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { FleetNotice } from '../fleet/service.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import type { Env } from '../config/interpolate.js';
import { createOperations, type Operations } from '../operations/operations.js';
import type { CatalogStatus, CatalogStore } from '../runtime/catalog-store.js';
import type { OperatorListener, ProxyState } from '../runtime/proxy-state.js';
import type { VoiceStats } from '../voice/voice-proxy.js';
import { requireAdminOn, requireAdminToken } from './admin-auth.js';
import { fleetApiRoutes } from './api/fleet-api.js';
import { CheckRate } from './console/check-rate.js';
import { consoleRoutes, type ConsoleDeps } from './console/console-app.js';
import { ExchangeLog, exchangesRoutes } from './exchanges.js';
import { explainRoutes } from './explain-route.js';
import { healthRoutes, UpstreamWatch } from './health.js';
import {
  createMetrics,
  metricsRoutes,
  type DownloadEvent,
  type MetricSources,
  type ProxyMetrics,
} from './metrics.js';

export interface OperatorSurface {
  readonly metrics: ProxyMetrics;
  readonly exchanges: ExchangeLog;
  /** The one listener for the operator routes, over the shared state (`AppDeps.operator`). */
  listener(state: ProxyState): OperatorListener;
  /** Every answered OTA exchange (`App.onExchange`). */
  record(exchange: ExchangeRecord): void;
  /** Every /firmware/ download step (`AppDeps.onDownload`). */
  download(event: DownloadEvent): void;
  /** Every notice of the fleet service (runtime/fleet-runtime.ts `onNotice`). */
  fleetNotice(notice: FleetNotice): void;
  /** A configuration was loaded: `start`, or a reload that kept (`failed`) or replaced (`ok`) the running one. */
  configLoaded(result: 'start' | 'ok' | 'failed', config: Config | null): void;
  /** The catalog was loaded: `start`, or a reload that replaced (`ok`) or kept (`failed`) the catalog. */
  catalogLoaded(result: 'start' | 'ok' | 'failed'): void;
  /** Live state /metrics reads at scrape time (e.g. the voice proxy's counters). */
  setSources(sources: MetricSources): void;
}

export interface OperatorSurfaceOptions {
  /** `admin.exchanges` at start. */
  readonly exchanges: number;
  /** The catalog's last loads (runtime/catalog-store.ts); `null` without `firmware.dir`. */
  readonly catalogStatus?: () => CatalogStatus | null;
  /** The live catalog store, for the operator's catalog actions (src/operations/); `null` without `firmware.dir`. */
  readonly catalogStore?: () => CatalogStore | null;
  /** Variables for `${VAR}` in catalog.yaml (the catalog store's). */
  readonly env?: Env;
  /** Further /readyz checks, reported but never making the proxy unready (e.g. the fleet's `store`). */
  readonly readinessChecks?: () => Readonly<Record<string, string>>;
  /** prom-client's process and Node.js metrics. */
  readonly processMetrics?: boolean;
}

/** Creates the metrics, the exchange ring and the last-exchange watch for one proxy instance. */
export function createOperatorSurface({
  exchanges: capacity,
  catalogStatus = () => null,
  catalogStore = () => null,
  env = {},
  readinessChecks,
  processMetrics = true,
}: OperatorSurfaceOptions): OperatorSurface {
  const metrics = createMetrics({ processMetrics });
  const exchanges = new ExchangeLog(capacity);
  const upstream = new UpstreamWatch();
  const checkRate = new CheckRate();
  let sources: MetricSources = {};
  metrics.setSources({
    exchangesKept: () => exchanges.size,
    catalogSkipped: () => catalogStatus()?.skipped.entries ?? null,
  });

  return {
    metrics,
    exchanges,
    listener(state) {
      metrics.setSources({
        breaker: () => state.breaker.state,
        rememberedDevices: () => state.memory.size,
        catalogEntries: () => state.catalog()?.entries.length ?? null,
      });
      // One service layer for the API, the console and the CLI (docs/contributing.md §24).
      const operations = createOperations({
        config: () => state.config(),
        env,
        catalog: catalogStore,
        fleet: () => state.fleet,
        logger: state.logger,
      });
      const app = createOperatorApp({
        state,
        operations,
        metrics,
        exchanges,
        upstream,
        catalogStatus,
        ...(readinessChecks ? { readinessChecks } : {}),
        checkRate,
        voice: () => sources.voice?.() ?? null,
      });
      return getRequestListener(app.fetch);
    },
    record(record) {
      metrics.observeExchange(record);
      if (record.kind === 'check') checkRate.count(record.at);
      exchanges.push(record);
      upstream.observe(record);
    },
    download(event) {
      metrics.observeDownload(event);
    },
    fleetNotice(notice) {
      metrics.observeFleet(notice);
    },
    configLoaded(result, config) {
      metrics.observeConfig(result, config?.hash ?? null);
      // Without admin.token nobody can read the ring (/admin/* answers 404), so it keeps nothing: a redacted
      // view of every exchange would be work on every check for no reader (docs/configuration.md "Every key").
      if (config !== null && result !== 'failed')
        exchanges.resize(config.admin.token === null ? 0 : config.admin.exchanges);
    },
    catalogLoaded(result) {
      metrics.observeCatalog(result);
    },
    setSources(more) {
      sources = { ...sources, ...more };
      metrics.setSources(more);
    },
  };
}

interface OperatorAppDeps {
  readonly state: ProxyState;
  /** The operator's actions (src/operations/): the fleet API and the console call them. */
  readonly operations: Operations;
  readonly metrics: ProxyMetrics;
  readonly exchanges: ExchangeLog;
  readonly upstream: UpstreamWatch;
  readonly catalogStatus: () => CatalogStatus | null;
  readonly readinessChecks?: () => Readonly<Record<string, string>>;
  /** The console's own sources (its Overview). */
  readonly checkRate?: CheckRate;
  readonly voice?: () => VoiceStats | null;
}

/** The whole surface as one Hono app: health and metrics at the root, the admin endpoints under /admin. */
export function createOperatorApp({
  state,
  operations,
  metrics,
  exchanges,
  upstream,
  catalogStatus,
  readinessChecks,
  checkRate = new CheckRate(),
  voice = () => null,
}: OperatorAppDeps): Hono {
  const app = new Hono();
  app.route(
    '/',
    healthRoutes({
      state,
      upstream,
      catalog: catalogStatus,
      ...(readinessChecks ? { checks: readinessChecks } : {}),
    }),
  );
  app.route('/', metricsRoutes(metrics));
  app.route(
    '/admin',
    adminRoutes({
      state,
      exchanges,
      operations,
      console: {
        state,
        operations,
        exchanges,
        upstream,
        catalogStatus,
        ...(readinessChecks ? { readinessChecks } : {}),
        checkRate,
        voice,
      },
    }),
  );
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => errorReply(error, c.req.path, state.logger));
  return app;
}

/**
 * `/admin/…`: absent (404) while `admin.token` is null; each sub-app gates itself. `GET /admin/` sends a
 * browser (no `Authorization`) to the console and answers an API client with the endpoint list.
 */
function adminRoutes({
  state,
  exchanges,
  operations,
  console,
}: {
  state: ProxyState;
  exchanges: ExchangeLog;
  operations: Operations;
  console: ConsoleDeps;
}): Hono {
  const token = (): string | null => state.config().admin.token;
  const bearer = requireAdminToken(token);
  const admin = new Hono();
  admin.use('*', requireAdminOn(token));
  // `/admin` and `/admin/`: a browser goes to the console, an API client (Authorization) gets the list.
  admin.use('*', async (c, next) => {
    const index = c.req.path === '/admin' || c.req.path === '/admin/';
    if (!index || c.req.method !== 'GET') return next();
    if (c.req.header('authorization') === undefined) return c.redirect('/admin/console/', 302);
    if (c.req.path === '/admin/') return c.redirect('/admin', 308);
    await next();
  });
  admin.get('/', bearer, (c) =>
    c.json({
      endpoints: {
        'GET /admin/exchanges':
          'the last admin.exchanges OTA exchanges, newest first (?limit=, ?device=, ?kind=check|get|activate)',
        'POST /admin/explain':
          'run a device request through the pipeline against a given or the live upstream reply',
        'GET /admin/api/':
          'the fleet API: devices, rollouts, halt/resume, unblock, the catalog, firmware upload, audit (docs/fleet.md "API")',
        'GET /admin/console/': 'the web console, for a browser (docs/console.md)',
      },
    }),
  );
  admin.route('/exchanges', gated(bearer, exchangesRoutes(exchanges)));
  admin.route('/explain', gated(bearer, explainRoutes(state)));
  admin.route('/api', gated(bearer, fleetApiRoutes(operations)));
  admin.route('/console', consoleRoutes(console) as unknown as Hono);
  return admin;
}

/** A sub-app behind a gate: the gate covers exactly the sub-app's paths, nothing mounted beside it. */
function gated(gate: MiddlewareHandler, routes: Hono): Hono {
  const app = new Hono();
  app.use('*', gate);
  app.route('/', routes);
  return app;
}

/** An HTTPException (a gate's 401) as it was meant; anything else is a bug: logged, a bare 500, no detail. */
function errorReply(error: Error, path: string, logger: Logger): Response {
  if (error instanceof HTTPException) return error.getResponse();
  logger.error({ err: error, path }, 'operator route failed');
  return new Response(JSON.stringify({ error: 'internal error' }), {
    status: 500,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}
