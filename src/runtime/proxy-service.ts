/**
 * The whole proxy as one service: load and validate everything, then listen; reload on demand; shut down
 * gracefully. `cli.ts` wires it to the process (argv, signals, exit codes); tests start it directly.
 */
import { readFile, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { createOperatorSurface, type OperatorSurface } from '../admin/operator-app.js';
import { planReload } from '../config/reload-scope.js';
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { createApp, type App } from '../http/app.js';
import { startServer, type RunningServer } from '../http/server.js';
import { createUpstreamAgents } from '../upstream/agents.js';
import { createVoiceProxy, type VoiceProxy } from '../voice/voice-proxy.js';
import { createCatalogStore, type CatalogLoadResult, type CatalogStore } from './catalog-store.js';
import { loadConfigFile } from './config-file.js';
import type { Catalog } from '../firmware/types.js';
import type { FleetService } from '../fleet/service.js';
import { startFleet } from './fleet-runtime.js';
import { createLogger } from './logger.js';
import { probeUpstream } from './upstream-probe.js';

export interface ProxyServiceOptions {
  readonly configPath: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to a logger made from the config's `log` section. */
  readonly logger?: Logger;
  readonly now?: () => number;
  /** How often the config file is stat'ed for changes (file events are unreliable on bind mounts). */
  readonly watchIntervalMs?: number;
  /**
   * Shutdown steps run once every received request has been answered and before the upstream agents
   * close: where pending observations are written (the fleet's flush).
   */
  readonly afterDrain?: readonly ShutdownStep[];
  /**
   * Dial the upstream once after listening and log whether it answers (src/runtime/upstream-probe.ts).
   * The command line turns it on; tests leave it off so the upstream connections they count stay exact.
   */
  readonly probeUpstream?: boolean;
  /** Upstream connections per pool (upstream/agents.ts); by default 256, or `passthrough.max_concurrent` if more. */
  readonly upstreamSockets?: number;
}

/** One step of the shutdown; the steps run one after another, in the order listed. */
export interface ShutdownStep {
  readonly name: string;
  run(graceMs: number): Promise<void> | void;
}

export interface ProxyService {
  /** The main listener's URL, e.g. `http://127.0.0.1:8003`. */
  readonly url: string;
  readonly adminUrl: string | null;
  readonly app: App;
  readonly voice: VoiceProxy;
  readonly logger: Logger;
  /** /healthz, /readyz, /metrics and /admin/…: the metrics registry and the recent-exchange ring. */
  readonly operator: OperatorSurface;
  config(): Config;
  catalogStore(): CatalogStore | null;
  /** Re-reads the config file (and the catalog); a file that fails validation keeps the running config. */
  reload(reason: string): Promise<{ ok: boolean; restartKeys: readonly string[] }>;
  /** Stops accepting, finishes in-flight work within `shutdown_grace_ms`, then closes everything. */
  shutdown(): Promise<void>;
}

export async function startProxy({
  configPath,
  env = {},
  logger: givenLogger,
  now = Date.now,
  watchIntervalMs = 2000,
  afterDrain = [],
  probeUpstream: probe = false,
  upstreamSockets,
}: ProxyServiceOptions): Promise<ProxyService> {
  // Taken before the file is read, so a change made while starting up is still seen as one.
  const loadedSignature = await fileSignature(configPath);
  let config = await loadConfigFile(configPath, { env });
  const logger = givenLogger ?? createLogger(config.log);
  let store: CatalogStore | null = null;
  let fleet: FleetService | null = null;
  const operator = createOperatorSurface({
    exchanges: config.admin.exchanges,
    catalogStatus: () => store?.status() ?? null,
    catalogStore: () => store,
    env,
    // docs/fleet.md "Interfaces": `checks.store` informs, it never makes the proxy unready.
    readinessChecks: () => ({ store: fleet === null ? 'off' : fleet.health() }),
  });
  // The first load at start-up is not a reload; every later one (a change, SIGHUP, a new firmware.dir) is.
  let started = false;
  const catalogLoaded = (result: CatalogLoadResult): void =>
    operator.catalogLoaded(started ? (result.ok ? 'ok' : 'failed') : 'start');
  store = config.firmware.dir
    ? await openCatalog(config.firmware.dir, { env, logger, now, catalogLoaded })
    : null;
  const tls = config.tls ? await readTls(config.tls, config.file) : null;
  const voice = createVoiceProxy({ logger: logger.child({ component: 'voice' }) });
  fleet = await startFleet({ config, logger, onNotice: (notice) => operator.fleetNotice(notice) });
  const running = fleet;
  operator.setSources({
    fleet: () =>
      running && {
        waiting: () => running.pending().waiting,
        gauges: () => fleetGauges(running, store?.current() ?? null),
      },
  });

  const app = createApp({
    config,
    catalog: () => store?.current() ?? null,
    logger,
    now,
    tls: tls !== null,
    voice,
    fleet,
    operator: (state) => operator.listener(state),
    onDownload: (event) => operator.download(event),
    ...(upstreamSockets === undefined
      ? {}
      : { agents: createUpstreamAgents({ maxSockets: upstreamSockets }) }),
  });
  started = true;
  app.onExchange((record) => operator.record(record));
  operator.setSources({ voice: () => voice.stats() });
  operator.configLoaded('start', config);

  const servers: RunningServer[] = [];
  try {
    servers.push(
      await startServer({
        listen: config.listen,
        handle: app.handle,
        upgrade: app.upgrade,
        tls,
        headersTimeoutMs: config.limits.headersTimeoutMs,
        requestTimeoutMs: config.limits.requestTimeoutMs,
      }),
    );
    if (config.admin.listen)
      servers.push(await startServer({ listen: config.admin.listen, handle: app.handleAdmin }));
  } catch (error) {
    await Promise.all(servers.map((s) => s.close(0)));
    app.close();
    store?.close();
    await fleet?.close();
    throw error;
  }
  const [main, admin] = servers as [RunningServer, RunningServer | undefined];
  logger.info(startFacts(config, main, admin, store), 'listening');
  if (probe) {
    // Not awaited: the start is not held up by an upstream that is slow to refuse.
    void probeUpstream({
      target: config.upstream.target,
      fallback: config.fallback.enabled,
      logger,
      timeoutMs: Math.min(config.upstream.timeoutMs, 3000),
    });
  }

  let reloading: Promise<{ ok: boolean; restartKeys: readonly string[] }> | null = null;
  const reload = async (reason: string): Promise<{ ok: boolean; restartKeys: readonly string[] }> => {
    // An empty file on reload is an editor's save caught half-way (truncate, then write), not a wish to run
    // on every default — another upstream, no websocket item: keep running; the finished save reloads again.
    // Judged on the bytes that are parsed (one read), so a save landing between two reads cannot slip by.
    let next: Config;
    try {
      next = await loadConfigFile(configPath, { env, refuseEmpty: true });
    } catch (error) {
      const issues = error instanceof ConfigError ? error.issues.map((i) => i.message) : [String(error)];
      logger.error({ reason, issues }, 'config reload failed: keeping the running configuration');
      return { ok: false, restartKeys: [] };
    }
    if (next.hash === config.hash) {
      await store?.reload();
      logger.info({ reason }, 'config reloaded: unchanged');
      return { ok: true, restartKeys: [] };
    }
    const plan = planReload(config, next);
    if (plan.config.firmware.dir !== config.firmware.dir) {
      try {
        const fresh = plan.config.firmware.dir
          ? await openCatalog(plan.config.firmware.dir, { env, logger, now, catalogLoaded })
          : null;
        store?.close();
        store = fresh;
      } catch (error) {
        const issues = error instanceof ConfigError ? error.issues.map((i) => i.message) : [String(error)];
        logger.error(
          { reason, issues },
          'config reload failed: the new firmware catalog does not load; keeping the running configuration',
        );
        return { ok: false, restartKeys: [] };
      }
    } else {
      await store?.reload();
    }
    config = plan.config;
    app.setConfig(config);
    fleet?.reconfigure(config.fleet, config.firmware.requireToken);
    logger.level = config.log.level;
    if (plan.restartKeys.length > 0)
      logger.warn(
        { keys: plan.restartKeys },
        'config changed keys that need a restart: running with their old values',
      );
    logger.info({ reason, hash: config.hash }, 'config reloaded');
    return { ok: true, restartKeys: plan.restartKeys };
  };
  const serialisedReload = (reason: string): Promise<{ ok: boolean; restartKeys: readonly string[] }> => {
    const run = (reloading ?? Promise.resolve())
      .then(() => reload(reason))
      .then((result) => {
        operator.configLoaded(result.ok ? 'ok' : 'failed', result.ok ? config : null);
        return result;
      });
    reloading = run.finally(() => {
      if (reloading === run) reloading = null;
    });
    return run;
  };
  const stopWatching = watchFile(
    configPath,
    { intervalMs: watchIntervalMs, initial: loadedSignature },
    () => void serialisedReload('config file changed'),
  );

  let shuttingDown: Promise<void> | null = null;
  return {
    url: main.url,
    adminUrl: admin?.url ?? null,
    app,
    voice,
    logger,
    operator,
    config: () => config,
    catalogStore: () => store,
    reload: serialisedReload,
    shutdown() {
      shuttingDown ??= (async () => {
        const grace = config.shutdownGraceMs;
        logger.info(
          { graceMs: grace, inFlight: app.inFlight(), voiceSessions: voice.stats().open },
          'shutting down',
        );
        // In this order (docs/configuration.md "Fleet and hardening amendments": "Shutdown"): no reload starts; the
        // listeners stop accepting, close idle keep-alive connections and answer every request already
        // received within the grace (voice sessions get the same grace); then what those requests observed
        // is written (`afterDrain`: the fleet's flush); only then the upstream agents and the catalog close.
        const steps: readonly ShutdownStep[] = [
          { name: 'stop watching the config file', run: () => stopWatching() },
          {
            name: 'answer received requests',
            run: async (graceMs) => {
              await Promise.all([...servers.map((s) => s.close(graceMs)), voice.shutdown(graceMs)]);
            },
          },
          // After every request is answered: the fleet writes its pending observations, then closes.
          { name: "write the fleet's observations", run: () => fleet?.close() },
          ...afterDrain,
          { name: 'close the upstream agents', run: () => app.close() },
          { name: 'close the catalog', run: () => store?.close() },
        ];
        for (const step of steps) {
          try {
            await step.run(grace);
          } catch (error) {
            // A failed step must not keep the later ones (and the exit) from happening.
            logger.error({ err: error, step: step.name }, 'shutdown step failed');
          }
        }
        logger.info('stopped');
      })();
      return shuttingDown;
    },
  };
}

/**
 * The `listening` line's facts: the address really bound (port 0 resolved; a wildcard host said as such),
 * the URL to reach it, the upstreams, whether /admin is on and where, and the catalog's entries.
 */
function startFacts(
  config: Config,
  main: RunningServer,
  admin: RunningServer | undefined,
  store: CatalogStore | null,
): Record<string, unknown> {
  const bound = main.server.address();
  const address =
    typeof bound === 'object' && bound !== null
      ? `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`
      : main.url;
  const status = store?.status() ?? null;
  return {
    url: main.url,
    address,
    admin: admin?.url ?? null,
    adminRoutes: config.admin.token === null ? 'off' : admin ? 'admin listener' : 'main listener',
    upstream: config.upstream.target.href,
    voiceUpstream: config.voiceProxy.upstream?.href ?? null,
    catalog:
      config.firmware.dir === null
        ? null
        : { dir: config.firmware.dir, entries: status?.entries ?? 0, skipped: status?.skipped.entries ?? 0 },
    config: config.file,
  };
}

/** The fleet's gauges, with every catalog entry in `rollout_halted` (0 until halted), not only those with attempts. */
async function fleetGauges(fleet: FleetService, catalog: Catalog | null) {
  const figures = await fleet.gauges(catalog);
  const known = new Set(figures.halted.map((h) => `${h.board}\n${h.version}`));
  const unseen = (catalog?.entries ?? [])
    .filter((e) => !known.has(`${e.board}\n${e.version}`))
    .map((e) => ({ board: e.board, version: e.version, halted: false }));
  return { devices: figures.devices, halted: [...figures.halted, ...unseen] };
}

/** The file's identity for change detection: inode, size and mtime (`missing` when it cannot be stat'ed). */
async function fileSignature(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

async function openCatalog(
  dir: string,
  {
    env,
    logger,
    now,
    catalogLoaded,
  }: {
    env: Readonly<Record<string, string | undefined>>;
    logger: Logger;
    now: () => number;
    catalogLoaded: (result: CatalogLoadResult) => void;
  },
): Promise<CatalogStore> {
  const store = createCatalogStore({
    dir,
    env,
    logger: logger.child({ component: 'catalog' }),
    now,
    onLoad: catalogLoaded,
  });
  const loaded = await store.load();
  if (!loaded.ok) {
    store.close();
    throw new ConfigError(loaded.issues, { code: 'CATALOG_INVALID' });
  }
  store.watch();
  return store;
}

async function readTls(
  paths: { cert: string; key: string },
  file: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (path: string, key: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new ConfigError(
        [
          {
            path: key,
            message: `\`${key}\` cannot be read: ${(error as Error).message} (${file})`,
            file,
            line: 0,
            col: 0,
          },
        ],
        { code: 'CONFIG_UNREADABLE', cause: error },
      );
    }
  };
  return { cert: await read(paths.cert, 'tls.cert'), key: await read(paths.key, 'tls.key') };
}

/** Calls `onChange` when the file's size, mtime or inode changes: fs.watch plus a periodic stat, debounced. */
function watchFile(
  path: string,
  { intervalMs, initial }: { intervalMs: number; initial: string },
  onChange: () => void,
): () => void {
  let last = initial;
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      void fileSignature(path).then((s) => {
        if (s !== last) {
          last = s;
          onChange();
        }
      });
    }, 100);
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(path, { persistent: false }, check);
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = null;
  }
  const poll = setInterval(check, intervalMs);
  poll.unref();
  return () => {
    clearInterval(poll);
    clearTimeout(timer);
    watcher?.close();
  };
}
