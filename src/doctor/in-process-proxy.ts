/**
 * A private instance of the proxy for doctor, on 127.0.0.1 and a free port: the same app as `startProxy`
 * builds, with the loaded config and catalog, silent, and without the voice proxy. Doctor reads the
 * exchange record it keeps (rules, notes, repairs, fallback) alongside the reply's bytes.
 */
import pino from 'pino';
import type { Config } from '../config/types.js';
import type { Catalog } from '../firmware/types.js';
import { createApp } from '../http/app.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { startServer } from '../http/server.js';

export interface InProcessProxy {
  readonly host: string;
  readonly port: number;
  /** The last OTA exchange the instance answered. */
  lastExchange(): ExchangeRecord | null;
  close(): Promise<void>;
}

export async function startInProcessProxy({
  config,
  catalog,
  now = Date.now,
}: {
  config: Config;
  catalog: Catalog | null;
  now?: () => number;
}): Promise<InProcessProxy> {
  const app = createApp({
    config,
    catalog: () => catalog,
    logger: pino({ level: 'silent' }),
    now,
    // The instance listens in plain HTTP on loopback, but renders {scheme} as the real listener would.
    tls: config.tls !== null,
    voice: null,
  });
  let last: ExchangeRecord | null = null;
  app.onExchange((record) => {
    last = record;
  });
  try {
    const server = await startServer({
      listen: { host: '127.0.0.1', port: 0 },
      handle: app.handle,
      headersTimeoutMs: config.limits.headersTimeoutMs,
      requestTimeoutMs: config.limits.requestTimeoutMs,
    });
    return {
      host: '127.0.0.1',
      port: server.port,
      lastExchange: () => last,
      async close() {
        await server.close(0);
        app.close();
      },
    };
  } catch (error) {
    app.close();
    throw error;
  }
}
