/**
 * Phase 5 — the fleet's cost (docs/fleet.md; issue 14):
 * - per-check CPU with the fleet on (SQLite, PostgreSQL when it answers) against the fleet off, in
 *   interleaved rounds (each round runs every variant once, in a rotating order) with a control pair (two
 *   fleet-off proxies: their ratio is what noise alone gives on this machine);
 * - a boot storm of distinct devices with the store on (SQLite): zero failed checks, every device in the
 *   inventory afterwards, its per-check CPU against a fleet-off storm of the same size;
 * - the time of filtered pages of `GET /admin/api/devices` over an inventory of `apiDevices` devices
 *   (written into a SQLite store before its proxy starts).
 * The parts run in that order, then the storm last; a part that fails is reported, the others kept.
 * Every variant is its own built proxy process against the run's fake upstream; all stopped afterwards.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { SeenUpdate } from '../src/fleet/observations.js';
import { sqliteStore } from '../src/fleet/store/sqlite.js';
import type { BenchContext } from './context.js';
import { proxyConfigYaml } from './fixtures.js';
import type { RateResult } from './load-rate.js';
import { freePort, runLoad, startBuiltProxy, type Running } from './processes.js';
import { cpuSeconds } from './proc-stats.js';
import { inclusiveTimes } from './profile-summary.js';
import { PROXY_EXPECTATIONS } from './sanity.js';
import { measureStoreFloor, type StoreFloor } from './store-floor.js';

export interface FleetPlan {
  /** Interleaved rounds of the per-check CPU comparison. */
  readonly rounds: number;
  /** Checks per variant per round, sent at `rate`. */
  readonly checks: number;
  readonly rate: number;
  /** The boot storm: distinct devices, sent at `stormRate`. */
  readonly stormDevices: number;
  readonly stormRate: number;
  /** Devices in the inventory the API is timed over. */
  readonly apiDevices: number;
  /** Only the boot storm (`--storm-only`): the interleaved rounds and the API timing are left out. */
  readonly stormOnly?: boolean;
  /** Where both storm proxies write a CPU profile (`--profile`), or `null`. */
  readonly stormProfileDir?: string | null;
}

export interface FleetCost {
  /** Per-check CPU (µs of the proxy process), the median over rounds, by variant. */
  readonly cpuMicrosPerCheck: Readonly<Record<string, number | null>>;
  /** The median over rounds of each variant's CPU over `off` in the same round (the control pair's too). */
  readonly ratioToOff: Readonly<Record<string, number | null>>;
  readonly rounds: number;
  readonly checksPerRound: number;
  /** Why PostgreSQL was left out, if it was. */
  readonly postgresSkipped: string | null;
  readonly storm: {
    readonly devices: number;
    readonly rate: number;
    readonly ok: number;
    readonly failed: number;
    readonly p99Ms: number | null;
    readonly durationMs: number;
    readonly inventory: number;
    readonly cpuMicrosPerCheck: number | null;
    readonly offCpuMicrosPerCheck: number | null;
    /** Fleet on over fleet off, per check (the target: ≤ 1.15). */
    readonly ratio: number | null;
  } | null;
  /** Why the storm gave no figures, if it did not. */
  readonly stormError: string | null;
  /** SQLite's own floor for the rows a new device needs (bench/store-floor.ts), measured after the storm. */
  readonly storeFloor: StoreFloor | null;
  /** The storm's CPU profiles, fleet on and off (`--profile`): the fleet's functions by inclusive time. */
  readonly stormProfile: { readonly files: readonly string[]; readonly top: readonly string[] } | null;
  /** `GET /admin/api/devices` filtered pages over `apiDevices` devices: median ms per query. */
  readonly devicesApi: Readonly<Record<string, { readonly medianMs: number; readonly total: number }>> | null;
}

const ADMIN_TOKEN = 'bench-admin-token';
const PG_ADMIN_URL = process.env.FLEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A built proxy with or without the fleet; `store` is a fleet.store value. */
async function startVariant(
  ctx: BenchContext,
  name: string,
  store: string | null,
  cpuProfileDir: string | null = null,
): Promise<Running> {
  const port = await freePort();
  const configPath = join(ctx.work, `proxy-${name}.yaml`);
  // The admin listener is on in every variant (the fleet's API needs it, and with it the exchange ring):
  // the variants differ by the fleet alone.
  const fleet =
    (store === null ? '' : `fleet:\n  enabled: true\n  store: ${JSON.stringify(store)}\n`) +
    `admin:\n  token: ${ADMIN_TOKEN}\n`;
  writeFileSync(
    configPath,
    proxyConfigYaml({ port, upstreamPort: ctx.upstream.port, firmwareDir: ctx.firmwareDir }) + fleet,
  );
  return startBuiltProxy(ctx.root, ctx.work, `proxy-${name}`, {
    cli: ctx.build.cli,
    configPath,
    port,
    cpuProfileDir,
  });
}

/** Sends `count` distinct devices' checks at `rate`; the proxy's CPU seconds spent and the load's result. */
async function measure(
  ctx: BenchContext,
  proxy: Running,
  count: number,
  rate: number,
): Promise<{ cpu: number; result: RateResult }> {
  const before = cpuSeconds(proxy.child.pid);
  const result = await runLoad<RateResult>(
    ctx.load,
    {
      kind: 'rate',
      port: proxy.port,
      rate,
      count,
      firstIndex: ctx.nextDevices(),
      timeoutMs: 30_000,
      expectations: PROXY_EXPECTATIONS,
      verifyOffers: false,
    },
    (count / rate) * 1000 + 120_000,
  );
  // Observations are written behind: let the flush that follows the run be counted too.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return { cpu: cpuSeconds(proxy.child.pid) - before, result };
}

async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> } | string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    return `PostgreSQL at ${PG_ADMIN_URL} is not answering (${(error as Error).message})`;
  }
  const name = `fleet_bench_${process.pid}`;
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function apiGet(
  port: number,
  path: string,
): Promise<{ ms: number; total: number; next: string | null }> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = (await res.json()) as { total?: number; next?: string | null };
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
  return { ms, total: body.total ?? 0, next: body.next ?? null };
}

export async function measureFleetCost(ctx: BenchContext, plan: FleetPlan): Promise<FleetCost> {
  const stopping: Running[] = [];
  let database: { url: string; drop: () => Promise<void> } | null = null;
  try {
    if (plan.stormOnly === true) {
      const { storm, stormError, stormProfile, storeFloor } = await stormFigures(ctx, plan, stopping);
      return {
        cpuMicrosPerCheck: {},
        ratioToOff: {},
        rounds: 0,
        checksPerRound: 0,
        postgresSkipped: null,
        storm,
        stormError,
        stormProfile,
        storeFloor,
        devicesApi: null,
      };
    }
    // Per-check CPU, interleaved.
    const created = await createDatabase();
    const postgresSkipped = typeof created === 'string' ? created : null;
    if (typeof created !== 'string') database = created;
    const variants: { name: string; proxy: Running }[] = [];
    for (const [name, store] of [
      ['off', null],
      ['off-control', null],
      ['sqlite', join(ctx.work, 'fleet-cost.db')],
      ...(database === null ? [] : [['postgres', database.url] as const]),
    ] as const) {
      ctx.progress(`5. fleet cost: starting the ${name} proxy`);
      const proxy = await startVariant(ctx, name, store);
      stopping.push(proxy);
      variants.push({ name, proxy });
    }
    const perCheck = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const ratios = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    for (let round = 0; round < plan.rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      const thisRound = new Map<string, number>();
      for (const variant of order) {
        if (variant === undefined) continue;
        const { cpu, result } = await measure(ctx, variant.proxy, plan.checks, plan.rate);
        if (result.ok > 0) {
          perCheck.get(variant.name)?.push((cpu / result.ok) * 1e6);
          thisRound.set(variant.name, (cpu / result.ok) * 1e6);
        }
        ctx.progress(
          `5. round ${round + 1}/${plan.rounds} ${variant.name}: ${result.ok} ok, ${((cpu / Math.max(1, result.ok)) * 1e6).toFixed(0)} µs CPU per check`,
        );
      }
      // Within one round the machine's load is about the same for every variant: compare there.
      const offNow = thisRound.get('off');
      for (const [name, micros] of thisRound)
        if (offNow !== undefined && name !== 'off') ratios.get(name)?.push(micros / offNow);
    }
    const cpuMicrosPerCheck: Record<string, number | null> = {};
    for (const [name, values] of perCheck) cpuMicrosPerCheck[name] = median(values);
    const ratioToOff: Record<string, number | null> = {};
    for (const [name, values] of ratios) if (name !== 'off') ratioToOff[name] = median(values);
    for (const proxy of stopping.splice(0)) await proxy.child.stop();
    ctx.progress(
      `5. per-check CPU over fleet off (median of per-round ratios): ${Object.entries(ratioToOff)
        .map(([n, r]) => `${n} ${r?.toFixed(2) ?? '—'}`)
        .join(', ')}`,
    );

    const devicesApi = await timeDevicesApi(ctx, plan.apiDevices);

    const { storm, stormError, stormProfile, storeFloor } = await stormFigures(ctx, plan, stopping);
    return {
      cpuMicrosPerCheck,
      ratioToOff,
      rounds: plan.rounds,
      checksPerRound: plan.checks,
      postgresSkipped,
      storm,
      stormError,
      stormProfile,
      storeFloor,
      devicesApi,
    };
  } finally {
    for (const proxy of stopping) await proxy.child.stop();
    await database?.drop();
  }
}

/** The storm's figures, or why there are none; with `stormProfileDir`, the fleet's hottest functions. */
async function stormFigures(
  ctx: BenchContext,
  plan: FleetPlan,
  stopping: Running[],
): Promise<Pick<FleetCost, 'storm' | 'stormError' | 'stormProfile' | 'storeFloor'>> {
  let storm: FleetCost['storm'] = null;
  let stormError: string | null = null;
  // An earlier run's profiles would be read as this one's.
  if (plan.stormProfileDir != null) rmSync(plan.stormProfileDir, { recursive: true, force: true });
  try {
    storm = await bootStorm(ctx, plan, stopping);
  } catch (error) {
    stormError = error instanceof Error ? error.message : String(error);
    ctx.progress(`5. boot storm gave no figures: ${stormError}`);
  }
  ctx.progress(`5. the store's floor: SQLite alone writing ${plan.stormDevices} new devices' rows`);
  const storeFloor = await measureStoreFloor(plan.stormDevices);
  ctx.progress(
    `5. the store's floor: ${storeFloor.deviceMicros.toFixed(1)} µs per device row, ` +
      `${storeFloor.deviceAndAttemptMicros.toFixed(1)} with its attempt`,
  );
  const dir = plan.stormProfileDir ?? null;
  if (dir === null || storm === null) return { storm, stormError, stormProfile: null, storeFloor };
  const files = ['storm-fleet', 'storm-off'].flatMap((name) =>
    readdirSync(join(dir, name)).map((f) => join(dir, name, f)),
  );
  const fleetFile = files.find((f) => f.includes('storm-fleet'));
  const top =
    fleetFile === undefined
      ? []
      : inclusiveTimes(
          fleetFile,
          /src\/(fleet\/|http\/fleet-check\.|runtime\/fleet-runtime\.)|sqlite-driver/,
          25,
        ).map(({ ms, frame }) => `${((ms * 1000) / storm.ok).toFixed(1).padStart(6)} µs/check  ${frame}`);
  return { storm, stormError, stormProfile: { files, top }, storeFloor };
}

/** Fleet off, then on (SQLite), each a fresh proxy: failures, the inventory afterwards, CPU per check. */
async function bootStorm(
  ctx: BenchContext,
  plan: FleetPlan,
  stopping: Running[],
): Promise<NonNullable<FleetCost['storm']>> {
  // The boot storm: fleet off first, then on (SQLite), each a fresh proxy.
  ctx.progress(`5. boot storm without the fleet: ${plan.stormDevices} devices at ${plan.stormRate}/s`);
  const profileDir = (name: string): string | null =>
    plan.stormProfileDir == null ? null : join(plan.stormProfileDir, name);
  const offProxy = await startVariant(ctx, 'storm-off', null, profileDir('storm-off'));
  stopping.push(offProxy);
  const offStorm = await measure(ctx, offProxy, plan.stormDevices, plan.stormRate);
  await offProxy.child.stop();
  stopping.pop();
  ctx.progress(`5. boot storm with the fleet (SQLite): ${plan.stormDevices} devices at ${plan.stormRate}/s`);
  const onProxy = await startVariant(
    ctx,
    'storm-fleet',
    join(ctx.work, 'fleet-storm.db'),
    profileDir('storm-fleet'),
  );
  stopping.push(onProxy);
  const onStorm = await measure(ctx, onProxy, plan.stormDevices, plan.stormRate);
  // Every device in the inventory: wait for the write-behind to catch up.
  let inventory = 0;
  for (let waited = 0; waited < 60_000; waited += 500) {
    inventory = (await apiGet(onProxy.port, '/admin/api/devices?limit=1')).total;
    if (inventory >= onStorm.result.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // Stopped here: a profiled proxy writes its profile as it exits.
  await onProxy.child.stop();
  stopping.pop();
  const failed = Object.values(onStorm.result.failures).reduce((a, b) => a + b, 0);
  const onMicros = onStorm.result.ok > 0 ? (onStorm.cpu / onStorm.result.ok) * 1e6 : null;
  const offMicros = offStorm.result.ok > 0 ? (offStorm.cpu / offStorm.result.ok) * 1e6 : null;

  ctx.progress(
    `5. boot storm: ${onStorm.result.ok} ok, ${failed} failed, ${inventory} in the inventory, ` +
      `${onMicros?.toFixed(0) ?? '—'} vs ${offMicros?.toFixed(0) ?? '—'} µs CPU per check`,
  );
  return {
    devices: plan.stormDevices,
    rate: plan.stormRate,
    ok: onStorm.result.ok,
    failed,
    p99Ms: onStorm.result.latencyMs.p99,
    durationMs: onStorm.result.durationMs,
    inventory,
    cpuMicrosPerCheck: onMicros,
    offCpuMicrosPerCheck: offMicros,
    ratio: onMicros === null || offMicros === null ? null : onMicros / offMicros,
  };
}
/** A SQLite inventory of `count` devices written before a proxy starts on it, then filtered pages timed. */
async function timeDevicesApi(
  ctx: BenchContext,
  count: number,
): Promise<Record<string, { medianMs: number; total: number }>> {
  const path = join(ctx.work, 'fleet-api.db');
  ctx.progress(`5. writing ${count} devices into a SQLite store`);
  const store = sqliteStore(path);
  await store.migrate();
  const now = Date.now();
  for (let i = 0; i < count; i += 1000) {
    const seen: SeenUpdate[] = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) {
      const hex = j.toString(16).padStart(10, '0');
      const device = `02:${hex.match(/../g)?.join(':') ?? ''}`;
      const at = now - (j % 86_400) * 1000;
      seen.push({
        device,
        firstAt: at,
        lastAt: at,
        checks: 1,
        check: {
          clientId: null,
          board: j % 10 === 0 ? 'm5stack-core-s3' : 'bread-compact-wifi',
          boardType: null,
          chip: 'esp32s3',
          version: j % 3 === 0 ? '1.6.0' : '1.7.0',
          otaLabel: 'ota_0',
          slotOta0: 4_128_768,
          slotOta1: 4_128_768,
          flashSize: 16_777_216,
          language: 'zh-CN',
          address: `10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`,
          status: 200,
          outcome: 'rewritten',
          transport: 'websocket',
          activationPending: false,
          exchange: null,
        },
        voice: null,
      });
    }
    await store.write({ seen, events: [] });
  }
  await store.close();
  const proxy = await startVariant(ctx, 'api', path);
  try {
    const queries: Record<string, string> = {
      'board, first page of 50': '/admin/api/devices?board=m5stack-core-s3&limit=50',
      'version + seen_within, sort id': '/admin/api/devices?version=1.6.0&seen_within=3600&sort=id&limit=100',
      'q (id prefix)': '/admin/api/devices?q=02:00:00:01&limit=50',
      'chip, sort version, 500': '/admin/api/devices?chip=esp32s3&sort=version&limit=500',
    };
    const out: Record<string, { medianMs: number; total: number }> = {};
    for (const [label, query] of Object.entries(queries)) {
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < 7; i++) {
        const got = await apiGet(proxy.port, query);
        times.push(got.ms);
        total = got.total;
      }
      out[label] = { medianMs: median(times) ?? 0, total };
    }
    const first = await apiGet(proxy.port, '/admin/api/devices?board=bread-compact-wifi&limit=50');
    if (first.next !== null) {
      const next = `/admin/api/devices?board=bread-compact-wifi&limit=50&cursor=${encodeURIComponent(first.next)}`;
      const times: number[] = [];
      for (let i = 0; i < 7; i++) times.push((await apiGet(proxy.port, next)).ms);
      out['board, second page (cursor)'] = { medianMs: median(times) ?? 0, total: first.total };
    }
    for (const [label, { medianMs, total }] of Object.entries(out))
      ctx.progress(`5. GET /admin/api/devices ${label}: ${medianMs.toFixed(1)} ms (total ${total})`);
    return out;
  } finally {
    await proxy.child.stop();
  }
}

/** The phase's lines for the report. */
export function renderFleetCost(cost: FleetCost): string {
  const lines = ['', '5. The fleet’s cost', ''];
  lines.push(
    `  per-check CPU, median of ${cost.rounds} interleaved rounds of ${cost.checksPerRound} checks:`,
  );
  for (const [name, micros] of Object.entries(cost.cpuMicrosPerCheck)) {
    const ratio = cost.ratioToOff[name];
    lines.push(
      `    ${name.padEnd(12)} ${micros === null ? '—' : `${micros.toFixed(0)} µs`}${ratio == null ? '' : `  (${ratio.toFixed(2)}× off)`}`,
    );
  }
  if (cost.postgresSkipped !== null) lines.push(`    postgres     skipped: ${cost.postgresSkipped}`);
  if (cost.stormError !== null) lines.push(`  boot storm: no figures (${cost.stormError})`);
  const s = cost.storm;
  if (s !== null) {
    lines.push(
      `  boot storm, fleet on (SQLite): ${s.ok}/${s.devices} ok, ${s.failed} failed, p99 ${s.p99Ms?.toFixed(0) ?? '—'} ms, ` +
        `${(s.durationMs / 1000).toFixed(1)} s; ${s.inventory} devices in the inventory; ` +
        `CPU ${s.cpuMicrosPerCheck?.toFixed(0) ?? '—'} µs/check vs ${s.offCpuMicrosPerCheck?.toFixed(0) ?? '—'} off ` +
        `(${s.ratio?.toFixed(2) ?? '—'}×, target ≤ 1.15)`,
    );
  }
  const floor = cost.storeFloor;
  if (floor !== null) {
    const budget = s?.offCpuMicrosPerCheck == null ? null : 0.15 * s.offCpuMicrosPerCheck;
    lines.push(
      `  the store's floor (bench/store-floor.ts: SQLite alone, the store's schema, 100 new devices per ` +
        `transaction, ${floor.devices} devices): ${floor.deviceMicros.toFixed(1)} µs CPU per device row, ` +
        `${floor.deviceAndAttemptMicros.toFixed(1)} µs with its attempt` +
        (budget === null
          ? ''
          : `; the storm's whole budget for the fleet at ≤ 1.15× is ${budget.toFixed(0)} µs per check`),
    );
  }
  if (cost.stormProfile !== null) {
    lines.push(`  CPU profiles of the storm: ${cost.stormProfile.files.join(', ')}`);
    lines.push(
      "  fleet-on storm, the fleet's functions by inclusive time (the rows overlap: callers include callees):",
    );
    for (const line of cost.stormProfile.top) lines.push(`    ${line}`);
  }
  for (const [label, { medianMs, total }] of Object.entries(cost.devicesApi ?? {}))
    lines.push(`  GET /admin/api/devices ${label}: ${medianMs.toFixed(1)} ms (total ${total})`);
  return `${lines.join('\n')}\n`;
}
