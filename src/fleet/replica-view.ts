/**
 * What one replica knows, in memory, to answer devices without waiting for the store (docs/fleet.md
 * "Store": replicas): the store's state as of the last sync (open attempts, failure counts and blocks,
 * rollout windows and halts, events not yet folded into attempts) plus this replica's own events since.
 * Every device's provisional state is the deterministic fold of those, so a check that reveals a third
 * failure is answered without the entry, and the next device after a halting failure is not offered the
 * halted entry, before the store has settled either. Pure: time comes in as arguments.
 */
import { deadline, step, type Windows } from './attempt-machine.js';
import { foldDevice, type DeviceEvent } from './device-fold.js';
import { entryIdOf } from './entry-id.js';
import {
  applyEnding,
  blockDetail,
  emptyEntryRecord,
  emptyRollout,
  haltDetail,
  isBlocked,
  shouldHalt,
  type ProtectionSettings,
} from './protections.js';
import type { Attempt, EntryRecord, Rollout } from './types.js';
import type { CatalogEntry, FirmwareDecision, OfferGate, Withholding } from '../firmware/types.js';

/** The store's state a sync reads, in one consistent snapshot. */
export interface SyncSnapshot {
  /** The store's clock when the snapshot was read. */
  readonly storeNow: number;
  readonly attempts: AttemptsRead;
  /** Records with failures since the last unblock, or a failure in the current rollout window. */
  readonly records: readonly EntryRecord[];
  readonly rollouts: readonly Rollout[];
  /** Events no replica has folded into attempts yet. */
  readonly events: readonly DeviceEvent[];
  /** Every replica's write watermark and when it last flushed (the store's clock). */
  readonly replicas: readonly ReplicaMark[];
}

export interface ReplicaMark {
  readonly id: string;
  /** Its events up to here are in the store. */
  readonly writtenTo: number;
  readonly seenAt: number;
}

/**
 * The attempts a sync read: every open one, or (incremental) the ones a settle wrote since `since`, open or
 * ended — a sync every `sync_ms` then reads what changed, not all 100,000 open attempts of a boot storm.
 */
export type AttemptsRead =
  | { readonly kind: 'open'; readonly open: readonly Attempt[] }
  | { readonly kind: 'changed'; readonly since: number; readonly changed: readonly Attempt[] };

export interface ViewSettings extends ProtectionSettings {
  readonly windows: Windows;
}

/** Why no catalog offer is made at all right now, or `null`. */
export type Blackout = { readonly reason: 'fleet-not-synced'; readonly detail: string } | null;

interface Provisional {
  readonly open: Attempt | null;
  /** Per entry: the device's record with its provisional endings applied. */
  readonly records: ReadonlyMap<string, EntryRecord>;
  /** Per entry: this device's change to the rollout's F and I. */
  readonly deltas: ReadonlyMap<string, { readonly failed: number; readonly installed: number }>;
  /** Entries this check's own ending would halt (only while deciding it). */
  readonly halts: ReadonlySet<string>;
}

const NO_HALTS: ReadonlySet<string> = new Set();
const NOTHING: Provisional = { open: null, records: new Map(), deltas: new Map(), halts: NO_HALTS };

export class ReplicaView {
  #settings: ViewSettings;
  readonly #replica: string;
  #synced = false;
  #blackout: Blackout = {
    reason: 'fleet-not-synced',
    detail: 'fleet: blocks and halts not loaded from the store yet',
  };
  #open = new Map<string, Attempt>();
  #records = new Map<string, EntryRecord>();
  #rollouts = new Map<string, Rollout>();
  #storeEvents = new Map<string, DeviceEvent[]>();
  /** This replica's events not yet seen in a snapshot (or folded): id → event and when it reached the store. */
  #own = new Map<string, { event: DeviceEvent; stored: number | null }>();
  #ownByDevice = new Map<string, string[]>();
  #provisional = new Map<string, Provisional>();
  /** Own events in arrival (about time) order, for settle passes to take from the front. */
  #dueOwn: DeviceEvent[] = [];
  #dueOwnHead = 0;
  /** Open attempts of the last snapshot by the time their silence window runs out, soonest first. */
  #deadlines: { readonly at: number; readonly device: string }[] = [];
  #deadlinesHead = 0;
  /** Devices this replica had settled up to a cutoff since the last snapshot (not due again before it). */
  #settledTo = new Map<string, number>();
  /** The replicas' write watermarks as of the last sync. */
  #marks: readonly ReplicaMark[] = [];
  /** Per entry: the sum of the devices' provisional F and I changes. */
  #entryDeltas = new Map<string, { failed: number; installed: number }>();

  constructor(replica: string, settings: ViewSettings) {
    this.#replica = replica;
    this.#settings = settings;
  }

  get synced(): boolean {
    return this.#synced;
  }

  configure(settings: ViewSettings): void {
    this.#settings = settings;
  }

  /** No catalog offers (before the first sync; a store with a newer schema), or `null` to allow them. */
  setBlackout(blackout: Blackout): void {
    this.#blackout = blackout;
  }

  get blackout(): Blackout {
    return this.#blackout;
  }

  /** Replaces the store's part of the view with a snapshot read after `readStarted` (this process's clock). */
  applySnapshot(snapshot: SyncSnapshot, readStarted: number, now: number): void {
    const { attempts } = snapshot;
    if (attempts.kind === 'open') {
      this.#open = new Map(attempts.open.map((a) => [a.device, a]));
      this.#deadlines = attempts.open.map((a) => this.#deadlineOf(a)).sort(byTime);
      this.#deadlinesHead = 0;
    } else {
      const opened: { at: number; device: string }[] = [];
      for (const attempt of attempts.changed) {
        if (attempt.endedAt === null) {
          // The store holds one open attempt per device: the one read is it.
          this.#open.set(attempt.device, attempt);
          opened.push(this.#deadlineOf(attempt));
        } else if (this.#open.get(attempt.device)?.id === attempt.id) {
          this.#open.delete(attempt.device);
        }
      }
      // A deadline of an attempt that has ended since only makes its device due once more: harmless.
      this.#deadlines = mergeByTime(this.#deadlines, this.#deadlinesHead, opened.sort(byTime));
      this.#deadlinesHead = 0;
    }
    this.#records = new Map(snapshot.records.map((r) => [key(r.device, r.entryId), r]));
    this.#rollouts = new Map(snapshot.rollouts.map((r) => [r.entryId, r]));
    const events = new Map<string, DeviceEvent[]>();
    const seen = new Set<string>();
    for (const event of snapshot.events) {
      seen.add(event.id);
      let list = events.get(event.device);
      if (list === undefined) events.set(event.device, (list = []));
      list.push(event);
    }
    this.#storeEvents = events;
    // Own events the snapshot lists are the store's now; ones stored before the read began and not listed
    // have been folded into attempts by some replica.
    for (const [id, own] of this.#own) {
      if (seen.has(id) || (own.stored !== null && own.stored <= readStarted))
        this.#forgetOwn(id, own.event.device);
    }
    this.#marks = snapshot.replicas;
    this.#settledTo.clear();
    this.#synced = true;
    this.#recomputeAll(now);
  }

  #deadlineOf(attempt: Attempt): { readonly at: number; readonly device: string } {
    return { at: deadline(attempt, this.#settings.windows).at, device: attempt.device };
  }

  /**
   * How far the other live replicas (flushed at or after `liveSince`) have written their events, the
   * lowest of them; `Infinity` when there are none. As of the last sync: watermarks only move forward, so
   * an older one holds a settle back a little longer, never too little.
   */
  othersWrittenTo(liveSince: number): number {
    let lowest = Infinity;
    for (const mark of this.#marks)
      if (mark.id !== this.#replica && mark.seenAt >= liveSince) lowest = Math.min(lowest, mark.writtenTo);
    return lowest;
  }

  /** Records one of this replica's events (already queued for the store). */
  addOwn(event: DeviceEvent, now: number): void {
    this.#own.set(event.id, { event, stored: null });
    this.#dueOwn.push(event);
    const ids = this.#ownByDevice.get(event.device);
    if (ids === undefined) this.#ownByDevice.set(event.device, [event.id]);
    else ids.push(event.id);
    this.#recompute(event.device, now);
  }

  /** Own events written to the store at `at` (this process's clock). */
  markStored(ids: readonly string[], at: number): void {
    for (const id of ids) {
      const own = this.#own.get(id);
      if (own !== undefined) own.stored = at;
    }
  }

  /** Own events dropped unwritten (max_pending): they no longer count. */
  dropOwn(ids: readonly string[], now: number): void {
    const devices = new Set<string>();
    for (const id of ids) {
      const own = this.#own.get(id);
      if (own === undefined) continue;
      devices.add(own.event.device);
      this.#forgetOwn(id, own.event.device);
    }
    for (const device of devices) this.#recompute(device, now);
  }

  /** The device's provisional open attempt. */
  openAttempt(device: string, now: number): Attempt | null {
    return this.#fold(device, now).open;
  }

  /** Devices with events not yet folded in the store. */
  devicesWithEvents(): ReadonlySet<string> {
    const devices = new Set<string>(this.#storeEvents.keys());
    for (const device of this.#ownByDevice.keys()) devices.add(device);
    return devices;
  }

  /**
   * Devices a settle pass should fold up to `cutoff`: with own events (or the store's events of this
   * replica) by then, with other replicas' events older than `othersCutoff`, or with an open attempt
   * whose silence window ran out.
   */
  dueDevices(cutoff: number, othersCutoff: number): Set<string> {
    const due = new Set<string>();
    const settled = (device: string, at: number): boolean => at <= (this.#settledTo.get(device) ?? -Infinity);
    // Own events arrive about in time order: take them off the front up to the cutoff (one that arrived
    // late with an earlier time is taken a pass later, which is only later, never wrong).
    while (this.#dueOwnHead < this.#dueOwn.length) {
      const next = this.#dueOwn[this.#dueOwnHead] as DeviceEvent;
      if (next.at > cutoff) break;
      this.#dueOwnHead += 1;
      // Gone from the view: folded already (seen so in a snapshot) or dropped unwritten.
      if (this.#own.has(next.id) && !settled(next.device, next.at)) due.add(next.device);
    }
    if (this.#dueOwnHead > 1024 && this.#dueOwnHead * 2 > this.#dueOwn.length) {
      this.#dueOwn = this.#dueOwn.slice(this.#dueOwnHead);
      this.#dueOwnHead = 0;
    }
    for (const [device, events] of this.#storeEvents) {
      for (const event of events) {
        const limit = event.replica === this.#replica ? cutoff : othersCutoff;
        if (event.at <= limit && !settled(device, event.at)) {
          due.add(device);
          break;
        }
      }
    }
    while (this.#deadlinesHead < this.#deadlines.length) {
      const next = this.#deadlines[this.#deadlinesHead] as { at: number; device: string };
      if (next.at > cutoff) break;
      this.#deadlinesHead += 1;
      due.add(next.device);
    }
    return due;
  }

  /** A settle pass folded these devices up to `cutoff` (or found them folded by another replica). */
  markSettled(devices: readonly string[], cutoff: number): void {
    for (const device of devices)
      this.#settledTo.set(device, Math.max(cutoff, this.#settledTo.get(device) ?? 0));
  }

  /** The gate for one check, as blocks and halts stand now (no ending of this check applied). */
  gate(device: string | null, now: number, downloadToken?: (file: string) => string | null): OfferGate {
    const provisional = device === null ? NOTHING : this.#fold(device, now);
    const withheld = (entry: CatalogEntry): Withholding | null => this.#withheld(device, provisional, entry);
    return downloadToken === undefined ? { withheld } : { withheld, downloadToken };
  }

  /**
   * Decides a check's offer: first with blocks and halts as they stand (which is what `withdrawn` is
   * judged on: the `candidate`), then, when the ending this check causes blocks the device or halts an
   * entry, again with that ending applied (docs/fleet.md "Per device": already on that check).
   */
  decide(
    check: { readonly device: string | null; readonly version: string | null; readonly at: number },
    decide: (gate: OfferGate) => FirmwareDecision,
    downloadToken?: (file: string) => string | null,
  ): { readonly decision: FirmwareDecision; readonly candidate: string | null } {
    const token = downloadToken === undefined ? {} : { downloadToken };
    const provisional = check.device === null ? NOTHING : this.#fold(check.device, check.at);
    const first = decide({ withheld: (entry) => this.#withheld(check.device, provisional, entry), ...token });
    const candidate = first.kind === 'offer' ? entryIdOf(first.entry) : null;
    const open = provisional.open;
    if (check.device === null || open === null) return { decision: first, candidate };
    const after = step(
      open,
      {
        kind: 'check',
        at: check.at,
        replica: this.#replica,
        version: check.version,
        status: 200,
        candidate,
        activation: false,
      },
      this.#settings.windows,
    ).attempt;
    if (!after.counted) return { decision: first, candidate };
    const record =
      provisional.records.get(open.entryId) ??
      this.#records.get(key(check.device, open.entryId)) ??
      emptyEntryRecord(open);
    const rollout = this.#rollout(open.entryId, open);
    const outcome = applyEnding(after, record, this.#withDelta(rollout, open.entryId), this.#settings);
    if (
      !outcome.blocked &&
      outcome.halted === null &&
      !isBlocked(outcome.record, this.#settings.maxFailedAttempts)
    )
      return { decision: first, candidate };
    const records = new Map(provisional.records).set(open.entryId, outcome.record);
    const halts = outcome.halted === null ? provisional.halts : new Set(provisional.halts).add(open.entryId);
    const ended: Provisional = { ...provisional, records, halts };
    const second = decide({ withheld: (entry) => this.#withheld(check.device, ended, entry), ...token });
    return { decision: second, candidate };
  }

  #withheld(device: string | null, provisional: Provisional, entry: CatalogEntry): Withholding | null {
    if (this.#blackout !== null) return this.#blackout;
    const id = entryIdOf(entry);
    const rollout = this.#rollouts.get(id);
    if (rollout?.halt != null) return { reason: 'halted', detail: haltDetail(rollout.halt) };
    if (provisional.halts.has(id) || this.#provisionallyHalted(id, rollout))
      return { reason: 'halted', detail: 'halted: failures just seen (being recorded)' };
    if (device === null) return null;
    const record = provisional.records.get(id) ?? this.#records.get(key(device, id));
    if (isBlocked(record, this.#settings.maxFailedAttempts) && record !== undefined)
      return { reason: 'blocked', detail: blockDetail(record) };
    return null;
  }

  /** Whether failures this replica knows of and the store has not counted yet halt the entry. */
  #provisionallyHalted(entryId: string, settled: Rollout | undefined): boolean {
    const delta = this.#entryDeltas.get(entryId);
    if (delta === undefined || delta.failed === 0) return false;
    return shouldHalt(
      (settled?.failedDevices ?? 0) + delta.failed,
      (settled?.installedDevices ?? 0) + delta.installed,
      this.#settings,
    );
  }

  /** The settled rollout, or an empty one named after the attempt. */
  #rollout(entryId: string, attempt: Attempt): Rollout {
    return this.#rollouts.get(entryId) ?? emptyRollout(attempt);
  }

  #withDelta(rollout: Rollout, entryId: string): Rollout {
    const delta = this.#entryDeltas.get(entryId);
    if (delta === undefined) return rollout;
    return {
      ...rollout,
      failedDevices: rollout.failedDevices + delta.failed,
      installedDevices: rollout.installedDevices + delta.installed,
    };
  }

  #events(device: string): DeviceEvent[] {
    const store = this.#storeEvents.get(device) ?? [];
    const ids = this.#ownByDevice.get(device);
    if (ids === undefined) return store;
    const seen = new Set(store.map((e) => e.id));
    const out = [...store];
    for (const id of ids) {
      const own = this.#own.get(id);
      if (own !== undefined && !seen.has(id)) out.push(own.event);
    }
    return out;
  }

  #fold(device: string, now: number): Provisional {
    const open = this.#open.get(device) ?? null;
    // Most devices have no attempt: without an open one or an offer among their events there is nothing
    // to fold (the common check, and every device at a sync, stays cheap).
    if (open === null && !this.#hasOffer(device)) return NOTHING;
    const events = this.#events(device);
    const records = new Map<string, EntryRecord>();
    const recordOf = (attempt: Attempt): EntryRecord =>
      records.get(attempt.entryId) ??
      this.#records.get(key(device, attempt.entryId)) ??
      emptyEntryRecord(attempt);
    const result = foldDevice({
      device,
      open,
      attemptsOf: (entryId) => this.#records.get(key(device, entryId))?.attempts ?? 0,
      events,
      until: now,
      replica: this.#replica,
      windows: this.#settings.windows,
    });
    const deltas = new Map<string, { failed: number; installed: number }>();
    for (const ended of result.ended) {
      const settled = this.#rollout(ended.entryId, ended);
      const delta = deltas.get(ended.entryId) ?? { failed: 0, installed: 0 };
      const before = {
        ...settled,
        failedDevices: settled.failedDevices + delta.failed,
        installedDevices: settled.installedDevices + delta.installed,
      };
      const outcome = applyEnding(ended, recordOf(ended), before, this.#settings);
      records.set(ended.entryId, outcome.record);
      deltas.set(ended.entryId, {
        failed: outcome.rollout.failedDevices - settled.failedDevices,
        installed: outcome.rollout.installedDevices - settled.installedDevices,
      });
    }
    return { open: result.open, records, deltas, halts: NO_HALTS };
  }

  #hasOffer(device: string): boolean {
    for (const event of this.#storeEvents.get(device) ?? [])
      if (event.kind === 'check' && event.offer !== null) return true;
    for (const id of this.#ownByDevice.get(device) ?? []) {
      const event = this.#own.get(id)?.event;
      if (event?.kind === 'check' && event.offer !== null) return true;
    }
    return false;
  }

  #recompute(device: string, now: number): void {
    const before = this.#provisional.get(device);
    if (before !== undefined) this.#addContribution(before, -1);
    const after = this.#fold(device, now);
    if (after === NOTHING || after.deltas.size === 0) this.#provisional.delete(device);
    else {
      this.#provisional.set(device, after);
      this.#addContribution(after, 1);
    }
  }

  #recomputeAll(now: number): void {
    this.#provisional.clear();
    this.#entryDeltas.clear();
    for (const device of this.devicesWithEvents()) this.#recompute(device, now);
  }

  #addContribution(provisional: Provisional, sign: 1 | -1): void {
    for (const [entryId, delta] of provisional.deltas) {
      const total = this.#entryDeltas.get(entryId) ?? { failed: 0, installed: 0 };
      total.failed += sign * delta.failed;
      total.installed += sign * delta.installed;
      this.#entryDeltas.set(entryId, total);
    }
  }

  #forgetOwn(id: string, device: string): void {
    this.#own.delete(id);
    const ids = this.#ownByDevice.get(device);
    if (ids === undefined) return;
    const at = ids.indexOf(id);
    if (at >= 0) ids.splice(at, 1);
    if (ids.length === 0) this.#ownByDevice.delete(device);
  }
}

function byTime(a: { readonly at: number }, b: { readonly at: number }): number {
  return a.at - b.at;
}

/** `sorted` from `from` on and `more`, both in time order, merged in time order. */
function mergeByTime<T extends { readonly at: number }>(
  sorted: readonly T[],
  from: number,
  more: readonly T[],
): T[] {
  const out: T[] = [];
  let i = from;
  let j = 0;
  while (i < sorted.length && j < more.length)
    out.push((sorted[i] as T).at <= (more[j] as T).at ? (sorted[i++] as T) : (more[j++] as T));
  while (i < sorted.length) out.push(sorted[i++] as T);
  while (j < more.length) out.push(more[j++] as T);
  return out;
}

function key(device: string, entryId: string): string {
  return `${device}|${entryId}`;
}
