/**
 * The operator surface, routed by Hono: `/healthz` (process alive) and `/readyz` (config and catalog
 * loaded; upstream reachable or the fallback able to answer). Not device-facing, so the web `Response`
 * framing (lowercase header names, possibly chunked) is fine here.
 */
import { Hono } from 'hono';
import type { ProxyState } from '../runtime/proxy-state.js';

export interface Readiness {
  /** The catalog is loaded (or none is configured). */
  catalogLoaded(): boolean;
}

export function createOpsApp({ runtime, readiness }: { runtime: ProxyState; readiness: Readiness }): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const config = runtime.config();
    const upstream = runtime.breaker.state === 'closed' ? 'reachable' : 'failing';
    const fallbackCanAnswer =
      config.fallback.enabled && (config.websocket !== null || runtime.memory.size > 0);
    const checks = {
      config: 'loaded',
      catalog: readiness.catalogLoaded() ? 'loaded' : 'not loaded',
      upstream,
      fallback: config.fallback.enabled
        ? fallbackCanAnswer
          ? 'can answer'
          : 'knows no transport yet'
        : 'off',
    };
    const ready = readiness.catalogLoaded() && (upstream === 'reachable' || fallbackCanAnswer);
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });
  return app;
}
