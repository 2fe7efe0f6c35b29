/**
 * The fleet service (docs/fleet.md): what the HTTP layer, the admin API, the console and the CLI call.
 *
 * Design, in short:
 * - **Events, folded.** A device's checks and downloads are events (`device-fold.ts`); its attempts are
 *   the deterministic fold of those events through the pure state machine (`attempt-machine.ts`), in time
 *   order whatever order they arrived in. Every replica folding the same events gets the same attempts.
 * - **Hot path from memory.** Each replica keeps a `ReplicaView`: the store's state as of the last sync
 *   plus its own events since. A check is decided from it at once (`beginCheck` → `plan.decide`) and
 *   recorded without awaiting anything (`observeCheck`), so the check that reveals a third failure is
 *   already answered without the entry. Nothing the hot path calls returns a promise.
 * - **Write-behind.** Observations wait in a `PendingQueue` ("seen" rows merged per device, events
 *   appended), bounded by `max_pending`, and are written every `flush_ms` in chunks small enough never to
 *   hold the event loop for long (better-sqlite3 is synchronous: chunks shrink until each takes under
 *   ~3 ms, and the loop yields between them). A failed write puts the batch back; the store is `degraded`.
 * - **Settling.** Once `flush_ms + sync_ms` have passed every replica has written an event — and no
 *   further than every live replica's write watermark says it has, nor this one's — so a
 *   device's events up to that cutoff are folded in the store (`settle.ts`) inside a transaction that
 *   claims the device (a conditional update of `devices.folded_to`): exactly one replica ends each attempt,
 *   counts it, blocks, halts, and reports it (`attempt-ended`, `device-blocked`, `rollout-halted`). An
 *   event that reaches the store after its device was folded past it is applied at the next fold.
 * - **Sync.** Every `sync_ms` the view is replaced by a consistent snapshot (open attempts, failure
 *   counts and blocks, rollouts and halts, unfolded events of every replica), on every kind of store (a
 *   CLI command may change a SQLite file under a running proxy). Open attempts are read whole once a
 *   minute; in between, only the attempts settles wrote since the last read (a boot storm leaves 100,000
 *   open). Until the first sync, and while the
 *   store's schema is newer than this code knows, no catalog offer is made (the gate says so).
 * - **Clock.** Event times are moved onto the store's clock (the skew measured at each sync), so time
 *   windows and event order agree across replicas.
 * - **Operator actions** (halt, resume, unblock, audit of catalog changes and uploads) are written
 *   through at once and trigger a sync.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FleetSettings } from '../config/types.js';
import type { DeviceFacts } from '../device/types.js';
import type { Catalog, FirmwareDecision, OfferGate } from '../firmware/types.js';
import { attemptJson, auditJson, deviceJson, type AttemptJson, type DeviceJson } from './api-shapes.js';
import type { Windows } from './attempt-machine.js';
import type { DeviceEvent } from './device-fold.js';
import { deviceIdOf } from './device-id.js';
import { mintToken, verifyToken } from './download-token.js';
import type { CheckSeen } from './observations.js';
import { PendingQueue, type Dropped } from './pending-queue.js';
import { ReplicaView, type ViewSettings } from './replica-view.js';
import { deviceGauge, EligibilityTally, type RolloutFigures } from './rollout-figures.js';
import { settleDevices, type SettleOutput } from './settle.js';
import type { DeviceQuery, DeviceSort, FleetStore } from './store/types.js';
import type { Actor, Attempt, AttemptState, FailureReason, Halt, SentOffer } from './types.js';

/** What the service reports for logs and metrics; the caller wires it to pino and prom-client. */
export type FleetNotice =
  /** An attempt ended (claimed by this replica): `update installed` / `update failed` (reason), and `update_attempts_total{result}`. */
  | { readonly kind: 'attempt-ended'; readonly attempt: Attempt }
  | {
      readonly kind: 'device-blocked';
      readonly device: string;
      readonly entryId: string;
      readonly board: string;
      readonly version: string;
      readonly failures: number;
      readonly reason: FailureReason | null;
    }
  /** `rollout halted` (warn). `actor` is null for an automatic halt. */
  | {
      readonly kind: 'rollout-halted';
      readonly entryId: string;
      readonly board: string;
      readonly version: string;
      readonly halt: Halt;
      readonly actor: Actor | null;
    }
  | { readonly kind: 'rollout-resumed'; readonly entryId: string; readonly actor: Actor }
  | {
      readonly kind: 'device-unblocked';
      readonly device: string;
      readonly entryIds: readonly string[];
      readonly actor: Actor;
    }
  | { readonly kind: 'flushed'; readonly ms: number; readonly written: number }
  | { readonly kind: 'flush-failed'; readonly error: unknown; readonly pending: number }
  | { readonly kind: 'dropped'; readonly seen: number; readonly events: number }
  | { readonly kind: 'synced'; readonly ms: number }
  | { readonly kind: 'sync-failed'; readonly error: unknown }
  /** Said at every sync while the store's schema is newer than this code: no offers are made. */
  | { readonly kind: 'schema-newer'; readonly found: number; readonly known: number }
  | { readonly kind: 'settle-failed'; readonly error: unknown }
  | { readonly kind: 'retained'; readonly devices: number; readonly attempts: number }
  | { readonly kind: 'anonymous-check' };

/** `/readyz` `checks.store` (docs/fleet.md "Interfaces"). `off` is the caller's: no fleet. */
export type StoreHealth = 'ok' | 'degraded';

export interface FleetServiceOptions {
  readonly settings: FleetSettings;
  readonly requireToken: boolean;
  readonly store: FleetStore;
  /** Reports for logs and metrics. */
  readonly notify?: (notice: FleetNotice) => void;
  /** This process's clock (ms); tests pin it. */
  readonly clock?: () => number;
  /** Names this replica in attempts (`offered_by`, …); default `<host>:<pid>:<random>`. */
  readonly replica?: string;
  /** How often old devices and attempts are deleted (ms). */
  readonly retentionEveryMs?: number;
}

/** A check's device facts beyond `DeviceFacts` (docs/fleet.md "What the proxy observes"). */
export interface CheckObservation {
  readonly flashSize: number | null;
  readonly language: string | null;
  /** Peer or trusted `X-Forwarded-For`. */
  readonly address: string;
  /** The status the device got. */
  readonly status: number;
  readonly transport: 'websocket' | 'mqtt' | null;
  /** `rewritten`, `passthrough`, `fallback`, … */
  readonly outcome: string;
  /** Whether the reply carried `activation`. */
  readonly activation: boolean;
  /** The firmware offer in the bytes the device got, or `null`. */
  readonly offer: SentOffer | null;
  /** What the upstream sent and what the device got, JSON-able. */
  readonly exchange: Readonly<Record<string, unknown>> | null;
}

/** One check being answered: decide its offer, then observe what was sent. */
export interface CheckPlan {
  /** The normalised `Device-Id`, or `null` (anonymous: counted, not tracked). */
  readonly device: string | null;
  /**
   * Runs the catalog decision with the fleet's gate (blocks, halts, tokens), twice when this check's own
   * ending blocks the device or halts the entry. Synchronous.
   */
  decide(decide: (gate: OfferGate) => FirmwareDecision): FirmwareDecision;
}

export interface DeviceListQuery {
  readonly board?: string | undefined;
  readonly version?: string | undefined;
  readonly chip?: string | undefined;
  readonly q?: string | undefined;
  /** Seconds. */
  readonly seenWithin?: number | undefined;
  readonly state?: AttemptState | undefined;
  readonly blocked?: boolean | undefined;
  readonly sort?: DeviceSort | undefined;
  /** 1–500 (default 100). */
  readonly limit?: number | undefined;
  readonly cursor?: string | null | undefined;
}

const MAX_LIMIT = 500;
/**
 * Observations per write on a synchronous store (SQLite holds the event loop for the whole chunk): a few
 * fixed sizes, so that a flush's statement shapes repeat instead of being compiled and prepared for every
 * size it passes through. The size is the largest whose estimated time fits `CHUNK_TARGET_MS`; the steps
 * are fine in the middle because each write is a transaction, and SQLite's cost per new device falls with
 * the devices per transaction (`bench/store-floor.ts`: 73–87 µs at 32, 68–71 at 64, 59–61 at 128).
 */
const CHUNK_SIZES = [8, 16, 24, 32, 48, 64, 96, 128, 200] as const;
/**
 * A synchronous store's chunk should hold the event loop about this long (the bound is 20 ms): well under
 * it, because a young-generation collection with 100,000 observations queued can land in the same turn and
 * add 10 ms or more to it on a loaded machine.
 */
const CHUNK_TARGET_MS = 2;
/** The first estimate of a write's cost per observation (ms), before one was measured: a cold start. */
const FIRST_MS_PER_OBSERVATION = 0.06;
/**
 * Observations per write on PostgreSQL: waiting for the server holds nothing, but building and encoding
 * the statements is this process's work, done in one turn (the flush test measures it).
 */
const ASYNC_CHUNK = 100;
/** Devices per settle transaction. */
const SETTLE_CHUNK = 100;
/**
 * A background store call still unanswered after this long is a store that does not answer (a silent
 * network keeps a connection open and says nothing): the health says `degraded` at once, whatever the
 * driver's own timeouts and the rollback after them take. The PostgreSQL adapter's query timeout.
 */
const STORE_STALL_MS = 5_000;
/**
 * Syncs read the attempts a settle wrote since the last read, from this much before it (the store's
 * clock): a settle that took its time before the read and committed after it is still read next time.
 */
const CHANGE_MARGIN_MS = 2_000;
/** And every open attempt at least this often, which also heals anything an incremental read missed. */
const FULL_READ_MS = 60_000;
/**
 * A replica that has not flushed for this long (nor `3 × (flush_ms + sync_ms)`) is gone: settles stop
 * waiting for its writes. Until then a replica that cannot write holds every settle back.
 */
const REPLICA_GONE_MS = 30_000;

interface PlanState extends CheckPlan {
  readonly track: boolean;
  readonly at: number;
  readonly version: string | null;
  candidate: string | null;
}

export class FleetService {
  #settings: FleetSettings;
  #requireToken: boolean;
  readonly #store: FleetStore;
  readonly #notify: (notice: FleetNotice) => void;
  readonly #clock: () => number;
  readonly replica: string;
  readonly #view: ReplicaView;
  readonly #queue: PendingQueue;
  readonly #retentionEveryMs: number;
  #secret: string | null;
  #skew = 0;
  #seq = 0;
  #migrated = false;
  #schemaNewer = false;
  #lastWriteOk = true;
  /** Background store calls in flight, by a sequence number: when each started (performance.now()). */
  readonly #inFlight = new Map<number, number>();
  #watchSeq = 0;
  #lastSyncOk = false;
  /** The next sync reads attempts changed since this store time; `null`: every open attempt. */
  #changedSince: number | null = null;
  /** This replica's events up to here are in the store (the store's clock). */
  #writtenTo = -Infinity;
  /** This replica has a watermark in the store (on PostgreSQL; the CLI, which never flushes, has none). */
  #marked = false;
  /** When (this process's clock) the last full read of open attempts was. */
  #lastFullRead = -Infinity;
  /** A synchronous write's estimated cost per observation, ms: rises at once, falls slowly. */
  #msPerObservation = FIRST_MS_PER_OBSERVATION;
  #flushTimer: NodeJS.Timeout | null = null;
  #syncTimer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #syncing: Promise<void> | null = null;
  #lastRetention = 0;
  #closed = false;

  constructor({
    settings,
    requireToken,
    store,
    notify = () => {},
    clock = Date.now,
    replica = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    retentionEveryMs = 10 * 60_000,
  }: FleetServiceOptions) {
    this.#settings = settings;
    this.#requireToken = requireToken;
    this.#store = store;
    this.#notify = notify;
    this.#clock = clock;
    this.replica = replica;
    this.#view = new ReplicaView(replica, viewSettings(settings));
    this.#queue = new PendingQueue(settings.maxPending);
    this.#secret = settings.tokenSecret;
    this.#retentionEveryMs = retentionEveryMs;
  }

  /**
   * Connects, migrates, loads the token secret and syncs once, then keeps flushing and syncing. Resolves
   * after the first try whatever its outcome: an unreachable store is retried at every sync.
   */
  async start(): Promise<void> {
    await this.#syncNow();
    this.#scheduleFlush();
    this.#scheduleSync();
  }

  /** Applies the reloadable keys (docs/configuration.md "Fleet and hardening amendments": reload scope). */
  reconfigure(settings: FleetSettings, requireToken: boolean): void {
    this.#settings = { ...settings, store: this.#settings.store, maxPending: this.#settings.maxPending };
    this.#requireToken = requireToken;
    this.#view.configure(viewSettings(this.#settings));
  }

  // ---- hot path: synchronous, never awaits the store ----

  /** The store's time now (this process's clock moved by the skew measured at the last sync). */
  now(): number {
    return this.#clock() + this.#skew;
  }

  /**
   * Starts one check. `track: false` for `doctor`'s checks and `/admin/explain` (decided the same, never
   * recorded). `at` is this process's clock.
   */
  beginCheck({
    device,
    at,
    track,
  }: {
    readonly device: DeviceFacts;
    readonly at: number;
    readonly track: boolean;
  }): CheckPlan {
    const id = deviceIdOf(device.id);
    const when = at + this.#skew;
    const plan: PlanState = {
      device: id,
      track,
      at: when,
      version: device.version,
      candidate: null,
      decide: (decide) => {
        if (id === null && this.#requireToken) {
          // require_token: devices without a valid Device-Id get no offer (docs/fleet.md "Download tokens").
          return decide({
            withheld: () => ({ reason: 'anonymous', detail: 'require_token: no valid Device-Id, no offer' }),
          });
        }
        const secret = this.#secret;
        const token =
          id === null || secret === null ? undefined : (file: string) => mintToken(secret, id, file);
        const result = this.#view.decide({ device: id, version: device.version, at: when }, decide, token);
        plan.candidate = result.candidate;
        return result.decision;
      },
    };
    return plan;
  }

  /** Records a check once answered: what the device reported and what it was sent. */
  observeCheck(plan: CheckPlan, device: DeviceFacts, seen: CheckObservation): void {
    const state = plan as PlanState;
    if (!state.track || this.#closed) return;
    const id = state.device;
    if (id === null) {
      this.#notify({ kind: 'anonymous-check' });
      return;
    }
    const check: CheckSeen = {
      clientId: device.clientId,
      board: device.build,
      boardType: device.boardType,
      chip: device.chip,
      version: device.version,
      otaLabel: device.runningSlot,
      slotOta0: device.slotSizes.ota0,
      slotOta1: device.slotSizes.ota1,
      flashSize: seen.flashSize,
      language: seen.language,
      address: seen.address,
      status: seen.status,
      outcome: seen.outcome,
      transport: seen.transport,
      activationPending: seen.activation,
      exchange: seen.exchange,
    };
    this.#dropped(
      this.#queue.addSeen({ device: id, firstAt: state.at, lastAt: state.at, checks: 1, check, voice: null }),
    );
    this.#record({
      kind: 'check',
      id: this.#nextId(),
      device: id,
      at: state.at,
      replica: this.replica,
      version: device.version,
      status: seen.status,
      candidate: state.candidate,
      activation: seen.activation,
      offer: seen.offer,
    });
  }

  /** A firmware download with a valid token: its start, and its end (`completed` only when every byte was written and the connection closed cleanly). */
  observeDownload({
    device,
    file,
    phase,
    bytes,
    at,
  }: {
    readonly device: string;
    readonly file: string;
    readonly phase: 'started' | 'completed' | 'aborted';
    readonly bytes: number;
    readonly at: number;
  }): void {
    if (this.#closed) return;
    this.#record({
      kind: 'download',
      id: this.#nextId(),
      device,
      at: at + this.#skew,
      replica: this.replica,
      file,
      phase,
      bytes,
    });
  }

  /** A voice session of a device (`Device-Id` on the upgrade) opened or closed. */
  observeVoice({
    device,
    phase,
    at,
  }: {
    readonly device: string;
    readonly phase: 'open' | 'close';
    readonly at: number;
  }): void {
    if (this.#closed) return;
    const id = deviceIdOf(device);
    if (id === null) return;
    const when = at + this.#skew;
    this.#dropped(
      this.#queue.addSeen({
        device: id,
        firstAt: when,
        lastAt: when,
        checks: 0,
        check: null,
        voice: { online: phase === 'open', at: when },
      }),
    );
  }

  /** The download token for a device (any spelling of its MAC) and file; `null` before the secret is known. */
  token(device: string, file: string): string | null {
    const id = deviceIdOf(device);
    return id === null || this.#secret === null ? null : mintToken(this.#secret, id, file);
  }

  /** The device a token was minted for, if valid for `file`. */
  verifyToken(token: string, file: string): string | null {
    return this.#secret === null ? null : verifyToken(this.#secret, token, file);
  }

  health(): StoreHealth {
    return this.#lastWriteOk && this.#lastSyncOk && !this.#schemaNewer && !this.#stalled()
      ? 'ok'
      : 'degraded';
  }

  /** Whether a background store call has been waiting longer than STORE_STALL_MS. */
  #stalled(): boolean {
    const now = performance.now();
    for (const since of this.#inFlight.values()) if (now - since > STORE_STALL_MS) return true;
    return false;
  }

  /** A background store call, timed while it is in flight (for `health()`). */
  async #watch<T>(call: Promise<T>): Promise<T> {
    const id = (this.#watchSeq += 1);
    this.#inFlight.set(id, performance.now());
    try {
      return await call;
    } finally {
      this.#inFlight.delete(id);
    }
  }

  /** Observations waiting to be written, and those dropped so far (`max_pending`). */
  pending(): {
    readonly waiting: number;
    readonly dropped: { readonly seen: number; readonly events: number };
  } {
    return { waiting: this.#queue.size, dropped: this.#queue.dropped };
  }

  // ---- admin services (the API, the console and the CLI share them: docs/contributing.md §24) ----

  async listDevices(
    query: DeviceListQuery,
  ): Promise<{ total: number; items: DeviceJson[]; next: string | null }> {
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.trunc(query.limit ?? 100)));
    const storeQuery: DeviceQuery = {
      board: query.board,
      version: query.version,
      chip: query.chip?.toLowerCase(),
      q: query.q,
      seenSince:
        query.seenWithin === undefined ? undefined : Math.floor(this.now() - query.seenWithin * 1000),
      state: query.state,
      blocked: query.blocked,
      maxFailedAttempts: this.#settings.maxFailedAttempts,
      sort: query.sort ?? 'last_seen',
      limit,
      cursor: query.cursor ?? null,
    };
    const page = await this.#store.listDevices(storeQuery);
    return {
      total: page.total,
      items: page.items.map((d) => deviceJson(d, this.#settings.maxFailedAttempts)),
      next: page.next,
    };
  }

  /** The record and its attempts, newest first; `null` when unknown (or not a MAC). */
  async showDevice(device: string): Promise<{ device: DeviceJson; attempts: AttemptJson[] } | null> {
    const id = deviceIdOf(device);
    if (id === null) return null;
    const found = await this.#store.device(id);
    if (found === null) return null;
    return {
      device: deviceJson(found.record, this.#settings.maxFailedAttempts),
      attempts: found.attempts.map(attemptJson),
    };
  }

  /** Clears one entry's block (or every block of the device) and restarts the count; audited. */
  async unblock(
    device: string,
    entryId: string | null,
    actor: Actor,
  ): Promise<{ readonly device: string; readonly cleared: readonly string[] } | null> {
    const id = deviceIdOf(device);
    if (id === null) return null;
    const cleared = await this.#store.unblock(id, entryId);
    const entryIds = cleared.map((r) => r.entryId);
    await this.audit('device.unblock', id, { entry_id: entryId, cleared: entryIds }, actor);
    this.#notify({ kind: 'device-unblocked', device: id, entryIds, actor });
    void this.#syncNow();
    return { device: id, cleared: entryIds };
  }

  /** Halts an entry by hand; `false` when it was halted already. Audited. */
  async halt(
    entry: { readonly entryId: string; readonly board: string; readonly version: string },
    actor: Actor,
    reason = 'halted by an operator',
  ): Promise<boolean> {
    const halt: Halt = { at: this.now(), by: 'operator', reason, failed: 0, installed: 0 };
    const done = await this.#store.halt(entry, halt);
    if (!done) return false;
    await this.audit(
      'rollout.halt',
      entry.entryId,
      { board: entry.board, version: entry.version, reason },
      actor,
    );
    this.#notify({ kind: 'rollout-halted', ...entry, halt, actor });
    void this.#syncNow();
    return true;
  }

  /** Resumes a halted entry: a new counting window starts now. `false` when it was not halted. Audited. */
  async resume(entryId: string, actor: Actor): Promise<boolean> {
    const done = await this.#store.resume(entryId, this.now());
    if (!done) return false;
    await this.audit('rollout.resume', entryId, {}, actor);
    this.#notify({ kind: 'rollout-resumed', entryId, actor });
    void this.#syncNow();
    return true;
  }

  /** Per catalog entry: eligible known devices, the attempts of its window, its halt. */
  async rollouts(catalog: Catalog | null): Promise<RolloutFigures[]> {
    const tally = new EligibilityTally(catalog);
    let after: string | null = null;
    for (;;) {
      const page = await this.#store.deviceFacts(after, 2000);
      tally.add(page);
      const last = page[page.length - 1];
      if (page.length < 2000 || last === undefined) break;
      after = last.id;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [counts, rollouts] = await Promise.all([this.#store.attemptCounts(), this.#store.rollouts()]);
    return tally.figures(counts, rollouts);
  }

  /** The gauges' figures from the store (the same on every replica): `fleet_devices`, `rollout_halted`. */
  async gauges(catalog: Catalog | null): Promise<{
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
  }> {
    const [counts, rollouts] = await Promise.all([this.#store.deviceCounts(), this.#store.rollouts()]);
    return {
      devices: deviceGauge(catalog, counts),
      halted: rollouts.map((r) => ({ board: r.board, version: r.version, halted: r.halt !== null })),
    };
  }

  /** Known devices per board and running version as they report them (the console's chart; not gauge labels). */
  async deviceCounts(): Promise<
    readonly { readonly board: string | null; readonly version: string | null; readonly devices: number }[]
  > {
    return this.#store.deviceCounts();
  }

  /** Appends an audit record at once (catalog changes, uploads, and the fleet's own actions). */
  async audit(
    action: string,
    target: string,
    detail: Readonly<Record<string, unknown>>,
    actor: Actor,
  ): Promise<void> {
    await this.#store.appendAudit({
      at: this.now(),
      action,
      target,
      means: actor.means,
      address: actor.address,
      detail,
    });
  }

  /** Audit records, newest first. */
  async auditLog(limit = 100, before: number | null = null) {
    const rows = await this.#store.audit(Math.max(1, Math.min(MAX_LIMIT, limit)), before);
    return rows.map(auditJson);
  }

  /** Writes everything pending, then closes the store. Observations after this are ignored. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    if (this.#syncTimer !== null) clearTimeout(this.#syncTimer);
    await this.#syncing?.catch(() => {});
    await this.#flushing;
    // Everything: keep writing while writes succeed.
    for (let before = -1; this.#queue.size > 0 && this.#queue.size !== before;) {
      before = this.#queue.size;
      await this.#flushNow();
    }
    // Gone for good: the other replicas stop waiting for this one's writes.
    if (this.#marked) await this.#watch(this.#store.forgetReplica(this.replica)).catch(() => undefined);
    await this.#store.close();
  }

  /** Runs one flush (and settle pass) now; tests and shutdown use it. */
  flush(): Promise<void> {
    return this.#flushNow();
  }

  /** Runs one sync now. */
  sync(): Promise<void> {
    return this.#syncNow();
  }

  // ---- background work ----

  #nextId(): string {
    this.#seq += 1;
    return `${this.replica}:${this.#seq}`;
  }

  #record(event: DeviceEvent): void {
    this.#view.addOwn(event, event.at);
    this.#dropped(this.#queue.addEvent(event));
  }

  #dropped(dropped: Dropped): void {
    if (dropped.seen === 0 && dropped.events.length === 0) return;
    if (dropped.events.length > 0)
      this.#view.dropOwn(
        dropped.events.map((e) => e.id),
        this.now(),
      );
    this.#notify({ kind: 'dropped', seen: dropped.seen, events: dropped.events.length });
  }

  #scheduleFlush(): void {
    if (this.#closed) return;
    this.#flushTimer = setTimeout(() => {
      void this.#flushNow().finally(() => this.#scheduleFlush());
    }, this.#settings.flushMs);
    this.#flushTimer.unref();
  }

  /**
   * Syncs start every `sync_ms` from the previous start (not its end), so an operator's change reaches
   * this replica within `sync_ms` plus one read however long reads take (a tenth of `sync_ms` at least
   * between two, so a slow store is not read back to back).
   */
  #scheduleSync(delay = this.#settings.syncMs): void {
    if (this.#closed) return;
    this.#syncTimer = setTimeout(() => {
      const started = this.#clock();
      void this.#syncNow().finally(() => {
        const spent = this.#clock() - started;
        this.#scheduleSync(Math.max(this.#settings.syncMs / 10, this.#settings.syncMs - spent));
      });
    }, delay);
    this.#syncTimer.unref();
  }

  #flushNow(): Promise<void> {
    if (this.#flushing !== null) return this.#flushing;
    this.#flushing = this.#writePending()
      .then(() => (this.#closed ? undefined : this.#settle()))
      .finally(() => {
        this.#flushing = null;
      });
    return this.#flushing;
  }

  /**
   * Writes the queue in chunks, yielding between them; stops at the first failure (the batch goes back).
   * Then records this replica's watermark: every event recorded before the flush began is in the store.
   */
  async #writePending(): Promise<void> {
    if (!this.#migrated) return;
    const writtenTo = this.now();
    const started = performance.now();
    let written = 0;
    const synchronous = this.#store.kind !== 'postgres';
    while (this.#queue.size > 0) {
      const batch = this.#queue.take(synchronous ? this.#chunkSize() : ASYNC_CHUNK);
      const t0 = performance.now();
      try {
        await this.#watch(this.#store.write(batch));
      } catch (error) {
        this.#dropped(this.#queue.restore(batch));
        this.#lastWriteOk = false;
        this.#notify({ kind: 'flush-failed', error, pending: this.#queue.size });
        return;
      }
      const ms = performance.now() - t0;
      this.#view.markStored(
        batch.events.map((e) => e.id),
        this.#clock(),
      );
      written += batch.seen.length + batch.events.length;
      if (synchronous) {
        // better-sqlite3 holds the event loop for the whole chunk: keep each one well under 20 ms. A slow
        // chunk (a collection, a checkpoint, a cold statement) counts at once; fast ones only wear it down.
        const perObservation = ms / Math.max(1, batch.seen.length + batch.events.length);
        this.#msPerObservation =
          perObservation > this.#msPerObservation
            ? perObservation
            : 0.9 * this.#msPerObservation + 0.1 * perObservation;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#lastWriteOk = true;
    this.#writtenTo = Math.max(this.#writtenTo, writtenTo);
    if (written > 0) this.#notify({ kind: 'flushed', ms: performance.now() - started, written });
    // Only replicas sharing a PostgreSQL store wait for each other: a SQLite or memory store has one
    // proxy, and an idle one would write its file every flush for nothing.
    if (this.#schemaNewer || this.#store.kind !== 'postgres') return;
    try {
      await this.#watch(this.#store.markWritten(this.replica, writtenTo));
      this.#marked = true;
    } catch (error) {
      this.#lastWriteOk = false;
      this.#notify({ kind: 'flush-failed', error, pending: this.#queue.size });
    }
  }

  /** The largest of `CHUNK_SIZES` whose estimated write fits `CHUNK_TARGET_MS`. */
  #chunkSize(): number {
    let size: number = CHUNK_SIZES[0];
    for (const candidate of CHUNK_SIZES)
      if (candidate * this.#msPerObservation <= CHUNK_TARGET_MS) size = candidate;
    return size;
  }

  /** Folds, in the store, the devices whose events every replica has had time to write. */
  async #settle(): Promise<void> {
    if (!this.#migrated || this.#schemaNewer || !this.#view.synced) return;
    const now = this.now();
    const window = this.#settings.flushMs + this.#settings.syncMs;
    // No further than every live replica has written: a replica whose writes lag (its store connection
    // down, a slow flush) would otherwise have its downloads folded after the check that followed them.
    // Nor past this replica's own: a write that failed left its events out of the store.
    const cutoff = Math.min(
      now - window,
      this.#writtenTo,
      this.#view.othersWrittenTo(now - Math.max(REPLICA_GONE_MS, 3 * window)),
    );
    if (cutoff === -Infinity) return;
    // Others' events are their replica's to settle; a replica that went away leaves them to us a sync later.
    const due = this.#view.dueDevices(cutoff, cutoff - this.#settings.syncMs);
    if (due.size === 0) return;
    const devices = [...due];
    const settings = { ...viewSettings(this.#settings) };
    for (let i = 0; i < devices.length; i += SETTLE_CHUNK) {
      let out: SettleOutput;
      try {
        out = await this.#watch(
          this.#store.settle(devices.slice(i, i + SETTLE_CHUNK), cutoff, (input) =>
            settleDevices({ ...input, cutoff, replica: this.replica, settings }),
          ),
        );
      } catch (error) {
        this.#notify({ kind: 'settle-failed', error });
        return;
      }
      this.#view.markSettled(devices.slice(i, i + SETTLE_CHUNK), cutoff);
      this.#report(out);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #report(out: SettleOutput): void {
    for (const ending of out.endings) {
      this.#notify({ kind: 'attempt-ended', attempt: ending.attempt });
      if (ending.blocked) {
        this.#notify({
          kind: 'device-blocked',
          device: ending.attempt.device,
          entryId: ending.attempt.entryId,
          board: ending.attempt.board,
          version: ending.attempt.toVersion,
          failures: ending.record.failures,
          reason: ending.record.lastReason,
        });
      }
    }
    for (const { rollout, halt } of out.halts) {
      this.#notify({
        kind: 'rollout-halted',
        entryId: rollout.entryId,
        board: rollout.board,
        version: rollout.version,
        halt,
        actor: null,
      });
    }
  }

  #syncNow(): Promise<void> {
    if (this.#syncing !== null) return this.#syncing;
    this.#syncing = this.#syncOnce().finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  async #syncOnce(): Promise<void> {
    if (this.#closed) return;
    const t0 = performance.now();
    try {
      if (!this.#migrated) {
        const status = await this.#watch(this.#store.migrate());
        this.#migrated = true;
        this.#checkSchema(status);
        if (this.#schemaNewer) return;
      } else {
        this.#checkSchema(await this.#watch(this.#store.schemaStatus()));
        if (this.#schemaNewer) return;
      }
      if (this.#secret === null)
        this.#secret = await this.#watch(this.#store.tokenSecret(randomBytes(32).toString('base64url')));
      const readStarted = this.#clock();
      const full = this.#changedSince === null || readStarted - this.#lastFullRead >= FULL_READ_MS;
      const snapshot = await this.#watch(this.#store.snapshot(full ? null : this.#changedSince));
      const readEnded = this.#clock();
      this.#skew = Math.round(snapshot.storeNow - (readStarted + readEnded) / 2);
      this.#view.applySnapshot(snapshot, readStarted, this.now());
      this.#changedSince = snapshot.storeNow - CHANGE_MARGIN_MS;
      if (full) this.#lastFullRead = readStarted;
      this.#view.setBlackout(null);
      this.#lastSyncOk = true;
      this.#notify({ kind: 'synced', ms: performance.now() - t0 });
    } catch (error) {
      this.#lastSyncOk = false;
      this.#notify({ kind: 'sync-failed', error });
      return;
    }
    await this.#retain();
  }

  #checkSchema(status: Awaited<ReturnType<FleetStore['schemaStatus']>>): void {
    if (status.kind === 'newer') {
      this.#schemaNewer = true;
      this.#view.setBlackout({
        reason: 'fleet-not-synced',
        detail: `fleet: the store's schema is version ${status.found}, this proxy knows ${status.known}: no offers`,
      });
      this.#notify({ kind: 'schema-newer', found: status.found, known: status.known });
    } else {
      this.#schemaNewer = false;
    }
  }

  async #retain(): Promise<void> {
    const now = this.#clock();
    if (now - this.#lastRetention < this.#retentionEveryMs) return;
    this.#lastRetention = now;
    try {
      const before = this.now() - this.#settings.forgetAfterDays * 86_400_000;
      const done = await this.#watch(this.#store.retain(before, this.#settings.maxDevices));
      if (done.devices > 0 || done.attempts > 0) this.#notify({ kind: 'retained', ...done });
    } catch (error) {
      this.#notify({ kind: 'sync-failed', error });
    }
  }
}

function viewSettings(settings: FleetSettings): ViewSettings {
  const windows: Windows = {
    silentAfterDownloadMs: settings.silentAfterDownloadMinutes * 60_000,
    attemptTimeoutMs: settings.attemptTimeoutHours * 3_600_000,
  };
  return {
    maxFailedAttempts: settings.maxFailedAttempts,
    minFailedDevices: settings.halt.minFailedDevices,
    failureRate: settings.halt.failureRate,
    windows,
  };
}
