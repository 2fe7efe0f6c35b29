/**
 * `/metrics` in the Prometheus text format (prom-client), on a registry of its own: several proxies can run
 * in one process (tests, doctor's in-process instance) without sharing counters. Fed by the exchange
 * records, the firmware route's download events, config and catalog (re)loads; live state (breaker,
 * fallback memory, catalog, voice sessions) is read at scrape time.
 */
import { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState } from '../fallback/breaker.js';
import type { UpstreamFailure } from '../gateway/upstream-failure.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import type { FleetNotice } from '../fleet/service.js';
import type { VoiceStats } from '../voice/voice-proxy.js';

/** Every metric name starts with this. */
export const METRIC_PREFIX = 'xiaozhi_ota_proxy_';

/**
 * How an OTA check ended, each check counted once: `guard-repaired` is an upstream reply (rewritten or
 * passed through) that the device guard had to repair before a device could safely read it.
 */
export type CheckMetricOutcome =
  'rewritten' | 'passthrough' | 'guard-repaired' | 'fallback' | 'rejected' | 'failed';

const CHECK_OUTCOMES: readonly CheckMetricOutcome[] = [
  'rewritten',
  'passthrough',
  'guard-repaired',
  'fallback',
  'rejected',
  'failed',
];

/** Every failure kind, so each series exists from the start (a Record makes the list exhaustive). */
const FAILURES: Readonly<Record<UpstreamFailure, true>> = {
  refused: true,
  timeout: true,
  reset: true,
  unreachable: true,
  'bad-status': true,
  'empty-body': true,
  'not-json': true,
  'not-object': true,
  truncated: true,
  'too-large': true,
  'reply-too-large': true,
  'bad-encoding': true,
  protocol: true,
  'breaker-open': true,
};

/** Every upstream failure kind (gateway/upstream-failure.ts). */
export const UPSTREAM_FAILURES = Object.keys(FAILURES) as readonly UpstreamFailure[];

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/** The note http/ota-check.ts writes when the breaker answered for the upstream. */
const BREAKER_NOTE = 'upstream breaker-open';

/** What /metrics reads of a /firmware/ download step (http/firmware-route.ts FirmwareDownloadEvent is one). */
export interface DownloadEvent {
  readonly phase: 'started' | 'completed' | 'aborted';
  /** Bytes sent so far: 0 when started, the total when completed, what got out when aborted. */
  readonly bytes: number;
}

/** Live state read at scrape time; each source is optional. */
export interface MetricSources {
  readonly breaker?: () => BreakerState;
  readonly rememberedDevices?: () => number;
  /** Entries of the loaded catalog; `null` without a catalog. */
  readonly catalogEntries?: () => number | null;
  /** Entries the loaded catalog skipped (invalid, missing file …); `null` without a catalog. */
  readonly catalogSkipped?: () => number | null;
  readonly voice?: () => VoiceStats;
  readonly exchangesKept?: () => number;
  /** The fleet, when on (docs/fleet.md "Metrics"); `null` = off. */
  readonly fleet?: () => FleetMetricSource | null;
}

/** What /metrics reads of the fleet at scrape time. */
export interface FleetMetricSource {
  /** Observations waiting to be written. */
  readonly waiting: () => number;
  /** The store's figures (the same on every replica). */
  readonly gauges: () => Promise<{
    readonly devices: readonly {
      readonly board: string;
      readonly version: string;
      readonly devices: number;
    }[];
    readonly halted: readonly {
      readonly board: string;
      readonly version: string;
      readonly halted: boolean;
    }[];
  }>;
}

/** How long a scrape waits for the store's figures before showing the last ones it got. */
const FLEET_GAUGE_WAIT_MS = 1000;

export interface ProxyMetrics {
  readonly registry: Registry;
  /** The `Content-Type` of `render()`'s text. */
  readonly contentType: string;
  observeExchange(record: ExchangeRecord): void;
  observeDownload(event: DownloadEvent): void;
  /** A notice of the fleet service: ended attempts, flushes, drops. */
  observeFleet(notice: FleetNotice): void;
  /** A configuration was loaded: `start` at start-up, `ok`/`failed` for a reload. */
  observeConfig(result: 'start' | 'ok' | 'failed', hash: string | null): void;
  /** The catalog was loaded: `start` at start-up, `ok`/`failed` (the previous catalog kept) for a reload. */
  observeCatalog(result: 'start' | 'ok' | 'failed'): void;
  setSources(sources: MetricSources): void;
  render(): Promise<string>;
}

/**
 * Counts by label values in plain maps, handed to a prom-client counter when it is scraped (its `collect`):
 * an OTA check then costs a map lookup per count, not prom-client's label hashing and validation (issue 13).
 * Keys are the label values themselves (at most two); the labels object is built once per series.
 */
class Tally<L extends string> {
  readonly #series = new Map<
    string,
    Map<string | number, { labels: Partial<Record<L, string | number>>; n: number; told: number }>
  >();
  readonly #names: readonly [L] | readonly [L, L];

  constructor(...names: readonly [L] | readonly [L, L]) {
    this.#names = names;
  }

  add(a: string, b: string | number = '', by = 1): void {
    let inner = this.#series.get(a);
    if (inner === undefined) this.#series.set(a, (inner = new Map()));
    const entry = inner.get(b);
    if (entry !== undefined) {
      entry.n += by;
      return;
    }
    const [first, second] = this.#names;
    const labels: Partial<Record<L, string | number>> = { [first]: a } as Partial<Record<L, string | number>>;
    if (second !== undefined) labels[second] = b;
    inner.set(b, { labels, n: by, told: 0 });
  }

  /** Adds what was counted since the last scrape to `counter`. */
  tell(counter: Counter<L>): void {
    for (const inner of this.#series.values())
      for (const entry of inner.values()) {
        if (entry.n === entry.told) continue;
        counter.inc(entry.labels, entry.n - entry.told);
        entry.told = entry.n;
      }
  }
}

/** The latency histogram's labels per exchange kind, made once. */
const KIND_LABELS: Readonly<Record<ExchangeRecord['kind'], { readonly kind: string }>> = {
  check: { kind: 'check' },
  get: { kind: 'get' },
  activate: { kind: 'activate' },
  download: { kind: 'download' },
};

/** Latency buckets (seconds): a healthy upstream answers in milliseconds; devices give up at 30 s. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25];

/** Creates the metrics on a fresh registry; `processMetrics` adds prom-client's process and Node.js defaults. */
export function createMetrics({ processMetrics = true }: { processMetrics?: boolean } = {}): ProxyMetrics {
  const registry = new Registry();
  const registers = [registry];
  let sources: MetricSources = {};

  const checkTally = new Tally('outcome');
  const checks = new Counter({
    name: `${METRIC_PREFIX}ota_checks_total`,
    help: 'OTA checks (POST on ota_path) by outcome, each counted once; guard-repaired = an upstream reply the device guard had to repair',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      checkTally.tell(this);
    },
  });
  const requestTally = new Tally('kind', 'status');
  new Counter({
    name: `${METRIC_PREFIX}ota_requests_total`,
    help: 'Answered requests on the OTA path by kind (check, get, activate) and the status the client got',
    labelNames: ['kind', 'status'] as const,
    registers,
    collect() {
      requestTally.tell(this);
    },
  });
  const repairTally = new Tally('repair');
  new Counter({
    name: `${METRIC_PREFIX}guard_repairs_total`,
    help: 'Repairs the device guard made, by repair',
    labelNames: ['repair'] as const,
    registers,
    collect() {
      repairTally.tell(this);
    },
  });
  const latency = new Histogram({
    name: `${METRIC_PREFIX}upstream_duration_seconds`,
    help: 'Time for one exchange with the upstream OTA server (whole reply read), by kind',
    labelNames: ['kind'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errorTally = new Tally('failure');
  const upstreamErrors = new Counter({
    name: `${METRIC_PREFIX}upstream_errors_total`,
    help: 'Upstream exchanges that gave no usable reply, by failure kind (breaker-open: not asked, the breaker was open)',
    labelNames: ['failure'] as const,
    registers,
    collect() {
      errorTally.tell(this);
    },
  });
  const ruleTally = new Tally('rule');
  new Counter({
    name: `${METRIC_PREFIX}rules_applied_total`,
    help: 'Rules that changed an OTA reply, by rule (fallback: the reply was synthesised)',
    labelNames: ['rule'] as const,
    registers,
    collect() {
      ruleTally.tell(this);
    },
  });
  const offerTally = new Tally('board', 'version');
  new Counter({
    name: `${METRIC_PREFIX}firmware_offers_total`,
    help: 'OTA replies carrying a catalog firmware offer, by catalog board and version',
    labelNames: ['board', 'version'] as const,
    registers,
    collect() {
      offerTally.tell(this);
    },
  });
  const noOfferTally = new Tally('reason');
  new Counter({
    name: `${METRIC_PREFIX}firmware_not_offered_total`,
    help: 'OTA replies (rewritten or fallback) the catalog offered nothing in, by reason',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      noOfferTally.tell(this);
    },
  });
  const downloads = new Counter({
    name: `${METRIC_PREFIX}firmware_downloads_total`,
    help: 'Downloads of catalog images from /firmware/, by event (started, completed, aborted)',
    labelNames: ['event'] as const,
    registers,
  });
  const downloadBytes = new Counter({
    name: `${METRIC_PREFIX}firmware_download_bytes_total`,
    help: 'Bytes of catalog images sent from /firmware/ (completed and aborted downloads)',
    registers,
  });
  const reloads = new Counter({
    name: `${METRIC_PREFIX}config_reloads_total`,
    help: 'Configuration reloads by result (ok, failed: the running configuration was kept)',
    labelNames: ['result'] as const,
    registers,
  });
  const catalogReloads = new Counter({
    name: `${METRIC_PREFIX}catalog_reloads_total`,
    help: 'Firmware catalog reloads by result (ok, failed: catalog.yaml unusable, the previous catalog was kept)',
    labelNames: ['result'] as const,
    registers,
  });
  const configInfo = new Gauge({
    name: `${METRIC_PREFIX}config_info`,
    help: 'The loaded configuration: 1 for the sha256 of its file',
    labelNames: ['hash'] as const,
    registers,
  });
  const configLoaded = new Gauge({
    name: `${METRIC_PREFIX}config_loaded_timestamp_seconds`,
    help: 'When the running configuration was loaded',
    registers,
  });
  new Gauge({
    name: `${METRIC_PREFIX}breaker_state`,
    help: 'The upstream circuit breaker: 1 for its current state',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const state = sources.breaker?.();
      for (const s of BREAKER_STATES) this.set({ state: s }, s === state ? 1 : 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}fallback_remembered_devices`,
    help: 'Devices whose last good transport the fallback remembers',
    registers,
    collect() {
      this.set(sources.rememberedDevices?.() ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}catalog_entries`,
    help: 'Valid entries in the loaded firmware catalog (0 without a catalog)',
    registers,
    collect() {
      this.set(sources.catalogEntries?.() ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}catalog_skipped_entries`,
    help: 'Entries of catalog.yaml the loaded catalog left out (invalid, file missing or not a matching image; 0 without a catalog)',
    registers,
    collect() {
      this.set(sources.catalogSkipped?.() ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}admin_exchanges_kept`,
    help: 'OTA exchanges held for /admin/exchanges',
    registers,
    collect() {
      this.set(sources.exchangesKept?.() ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}voice_sessions_open`,
    help: 'Device WebSocket sessions carried to voice_proxy.upstream right now',
    registers,
    collect() {
      this.set(sources.voice?.().open ?? 0);
    },
  });
  // Monotonic totals kept by the voice proxy, exposed as counters (set to the source's value at scrape time).
  const voiceTotal = (name: string, help: string, read: (s: VoiceStats) => number): void => {
    new Counter({
      name: `${METRIC_PREFIX}${name}`,
      help,
      registers,
      collect() {
        const stats = sources.voice?.();
        this.reset();
        if (stats !== undefined) this.inc(read(stats));
      },
    });
  };
  voiceTotal('voice_sessions_total', 'Device WebSocket sessions opened through the proxy', (s) => s.opened);
  voiceTotal(
    'voice_sessions_closed_total',
    'Device WebSocket sessions that ended (either side closed)',
    (s) => s.closed,
  );
  voiceTotal(
    'voice_upgrade_failures_total',
    'Device WebSocket upgrades that got no session',
    (s) => s.upgradeFailures,
  );
  voiceTotal(
    'voice_bytes_to_upstream_total',
    'WebSocket bytes carried from devices to the voice server',
    (s) => s.bytesToUpstream,
  );
  voiceTotal(
    'voice_bytes_to_device_total',
    'WebSocket bytes carried from the voice server to devices',
    (s) => s.bytesToDevice,
  );

  // The fleet (docs/fleet.md "Metrics"): labels never carry a device id.
  const attempts = new Counter({
    name: `${METRIC_PREFIX}update_attempts_total`,
    help: 'Update attempts this replica ended, by catalog board, offered version and result (installed, failed, silent, superseded, withdrawn); sum across replicas',
    labelNames: ['board', 'version', 'result'] as const,
    registers,
  });
  const flushes = new Histogram({
    name: `${METRIC_PREFIX}fleet_store_flush_duration_seconds`,
    help: 'Time to write one batch of pending fleet observations to the store',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const flushFailures = new Counter({
    name: `${METRIC_PREFIX}fleet_store_flush_failures_total`,
    help: 'Writes of fleet observations the store refused or did not answer (the observations wait and are retried)',
    registers,
  });
  const dropped = new Counter({
    name: `${METRIC_PREFIX}fleet_dropped_observations_total`,
    help: 'Fleet observations dropped because fleet.max_pending was reached while the store was unreachable, by kind (seen, event)',
    labelNames: ['kind'] as const,
    registers,
  });
  const anonymous = new Counter({
    name: `${METRIC_PREFIX}fleet_anonymous_checks_total`,
    help: 'OTA checks without a valid Device-Id: counted, not tracked',
    registers,
  });
  new Gauge({
    name: `${METRIC_PREFIX}fleet_pending_observations`,
    help: 'Fleet observations waiting to be written to the store',
    registers,
    collect() {
      this.set(sources.fleet?.()?.waiting() ?? 0);
    },
  });
  type FleetFigures = Awaited<ReturnType<FleetMetricSource['gauges']>>;
  let fleetFigures: FleetFigures | null = null;
  const readFleetFigures = async (): Promise<FleetFigures | null> => {
    const fleet = sources.fleet?.() ?? null;
    if (fleet === null) return null;
    // A store that is slow or down must not hold the scrape: the last figures are shown instead.
    let timer: NodeJS.Timeout | undefined;
    const read = fleet.gauges().then(
      (figures): FleetFigures | null => (fleetFigures = figures),
      (): FleetFigures | null => fleetFigures,
    );
    const late = new Promise<FleetFigures | null>((resolve) => {
      timer = setTimeout(() => resolve(fleetFigures), FLEET_GAUGE_WAIT_MS);
    });
    const figures = await Promise.race([read, late]);
    clearTimeout(timer);
    return figures;
  };
  // Both fleet gauges of one scrape share one read of the store.
  let figuresRead: Promise<FleetFigures | null> | null = null;
  const currentFleetFigures = (): Promise<FleetFigures | null> => {
    figuresRead ??= readFleetFigures().finally(() => {
      figuresRead = null;
    });
    return figuresRead;
  };
  new Gauge({
    name: `${METRIC_PREFIX}fleet_devices`,
    help: 'Known devices by catalog board and running version (other: no matching entry or version); the store figure, the same on every replica',
    labelNames: ['board', 'version'] as const,
    registers,
    async collect() {
      const figures = await currentFleetFigures();
      this.reset();
      for (const row of figures?.devices ?? [])
        this.set({ board: row.board, version: row.version }, row.devices);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}rollout_halted`,
    help: 'Catalog entries halted (1) or not (0), by board and version; the store figure, the same on every replica',
    labelNames: ['board', 'version'] as const,
    registers,
    async collect() {
      const figures = await currentFleetFigures();
      this.reset();
      for (const row of figures?.halted ?? [])
        this.set({ board: row.board, version: row.version }, row.halted ? 1 : 0);
    },
  });

  // Zero series for the known label values, so rates and alerts work before the first event.
  for (const outcome of CHECK_OUTCOMES) checks.inc({ outcome }, 0);
  for (const failure of UPSTREAM_FAILURES) upstreamErrors.inc({ failure }, 0);
  for (const event of ['started', 'completed', 'aborted']) downloads.inc({ event }, 0);
  for (const result of ['ok', 'failed']) {
    reloads.inc({ result }, 0);
    catalogReloads.inc({ result }, 0);
  }
  downloadBytes.inc(0);
  flushFailures.inc(0);
  anonymous.inc(0);
  for (const kind of ['seen', 'event']) dropped.inc({ kind }, 0);

  if (processMetrics) collectDefaultMetrics({ register: registry });

  let loadedHash: string | null = null;

  return {
    registry,
    contentType: registry.contentType,
    observeExchange(record) {
      requestTally.add(record.kind, record.status);
      for (const repair of record.repairs) repairTally.add(repair);
      for (const rule of record.rules) ruleTally.add(rule);
      const upstream = record.upstream;
      if (upstream !== null) {
        if (upstream.failure !== 'breaker-open')
          latency.observe(KIND_LABELS[record.kind], upstream.ms / 1000);
        if (upstream.failure !== null) errorTally.add(upstream.failure);
      } else if (record.notes.includes(BREAKER_NOTE)) {
        // With the breaker open nothing went upstream, so the record has no upstream part; the note says why.
        errorTally.add('breaker-open');
      }
      if (record.kind !== 'check') return;
      checkTally.add(checkOutcome(record));
      // The catalog decides on every check, but only a rewritten or fallback reply carries its offer.
      if (record.outcome !== 'rewritten' && record.outcome !== 'fallback') return;
      const offer = record.firmware?.offer ?? null;
      const reason = record.firmware?.reason ?? null;
      if (offer !== null) offerTally.add(offer.board, offer.version);
      else if (reason !== null) noOfferTally.add(reasonCode(reason));
    },
    observeDownload(event) {
      downloads.inc({ event: event.phase });
      if (event.phase !== 'started' && event.bytes > 0) downloadBytes.inc(event.bytes);
    },
    observeFleet(notice) {
      switch (notice.kind) {
        case 'attempt-ended':
          attempts.inc({
            board: notice.attempt.board,
            version: notice.attempt.toVersion,
            result: notice.attempt.state,
          });
          return;
        case 'flushed':
          flushes.observe(notice.ms / 1000);
          return;
        case 'flush-failed':
          flushFailures.inc();
          return;
        case 'anonymous-check':
          anonymous.inc();
          return;
        case 'dropped':
          if (notice.seen > 0) dropped.inc({ kind: 'seen' }, notice.seen);
          if (notice.events > 0) dropped.inc({ kind: 'event' }, notice.events);
          return;
        default:
          return;
      }
    },
    observeConfig(result, hash) {
      if (result !== 'start') reloads.inc({ result });
      if (result === 'failed' || hash === null) return;
      if (hash !== loadedHash) {
        configInfo.reset();
        configInfo.set({ hash }, 1);
        loadedHash = hash;
        configLoaded.setToCurrentTime();
      }
    },
    observeCatalog(result) {
      if (result !== 'start') catalogReloads.inc({ result });
    },
    setSources(next) {
      sources = { ...sources, ...next };
    },
    render: () => registry.metrics(),
  };
}

/** The outcome label of one check (see CheckMetricOutcome). */
export function checkOutcome(record: Pick<ExchangeRecord, 'outcome' | 'repairs'>): CheckMetricOutcome {
  switch (record.outcome) {
    case 'rewritten':
    case 'passthrough':
      return record.repairs.length > 0 ? 'guard-repaired' : record.outcome;
    case 'fallback':
    case 'rejected':
    case 'failed':
      return record.outcome;
    default: {
      const never: never = record.outcome;
      throw new Error(`unhandled outcome ${String(never)}`);
    }
  }
}

/** The reason code of `<reason>: <detail>` (firmware/types.ts NoOfferReason). */
function reasonCode(reason: string): string {
  const colon = reason.indexOf(':');
  return colon < 0 ? reason : reason.slice(0, colon);
}

/** `GET /metrics`: no token, on the listener gateway/route.ts sends it to (`admin.listen` when set). */
export function metricsRoutes(metrics: ProxyMetrics): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const text = await metrics.render();
    return c.body(text, 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  });
  return app;
}
