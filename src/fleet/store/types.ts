/**
 * The fleet store: one small interface, three adapters (memory, SQLite, PostgreSQL) over one schema
 * (docs/contributing.md §22; docs/fleet.md "Store"). Everything here is awaited by the fleet service's background
 * work and the admin services, never by a device's reply.
 */
import type { Batch } from '../observations.js';
import type { SettleInput, SettleOutput } from '../settle.js';
import type { SyncSnapshot } from '../replica-view.js';
import type { Attempt, AttemptState, AuditEntry, AuditMeans, EntryRecord, Halt, Rollout } from '../types.js';
import type { SchemaStatus } from './migrations.js';

export type StoreKind = 'memory' | 'sqlite' | 'postgres';

/** A device as the inventory keeps it (docs/fleet.md "Device record"). */
export interface DeviceRecord {
  readonly id: string;
  readonly clientId: string | null;
  readonly board: string | null;
  readonly boardType: string | null;
  readonly chip: string | null;
  readonly version: string | null;
  readonly otaLabel: string | null;
  readonly slotBytes: { readonly ota0: number | null; readonly ota1: number | null };
  readonly flashSize: number | null;
  readonly language: string | null;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly lastAddress: string | null;
  readonly checks: number;
  readonly lastStatus: number | null;
  readonly lastOutcome: string | null;
  readonly transport: string | null;
  readonly voiceOnline: boolean;
  readonly voiceLastSeen: number | null;
  readonly activationPending: boolean;
  /** State of the open or last attempt, as settled. */
  readonly attemptState: AttemptState | null;
  readonly lastExchange: Readonly<Record<string, unknown>> | null;
  /** The device's records of entries with failures since their last unblock (blocked or not). */
  readonly entries: readonly EntryRecord[];
}

export type DeviceSort = 'last_seen' | 'id' | 'version';

/** `GET /admin/api/devices` (docs/fleet.md "Interfaces"); absent filters do not filter. */
export interface DeviceQuery {
  readonly board?: string | undefined;
  readonly version?: string | undefined;
  readonly chip?: string | undefined;
  /** Prefix of the id (normalised spelling) or of the last address. */
  readonly q?: string | undefined;
  /** Seen at or after this time (the caller turns `seen_within` into it with the store's clock). */
  readonly seenSince?: number | undefined;
  readonly state?: AttemptState | undefined;
  /** `true`: blocked from some entry; `false`: from none. */
  readonly blocked?: boolean | undefined;
  /** A device is blocked at this many failures (`fleet.max_failed_attempts`). */
  readonly maxFailedAttempts: number;
  readonly sort: DeviceSort;
  /** 1–500. */
  readonly limit: number;
  /** Opaque, from a previous page's `next`. */
  readonly cursor: string | null;
}

export interface DevicePage {
  readonly total: number;
  readonly items: readonly DeviceRecord[];
  readonly next: string | null;
}

/** Per entry, the attempts of its current window (open ones, and ended ones since `window_start`). */
export interface AttemptCounts {
  readonly entryId: string;
  readonly open: Readonly<Partial<Record<'offered' | 'downloading' | 'downloaded', number>>>;
  readonly installed: number;
  readonly failed: Readonly<Record<string, number>>;
  readonly silent: number;
}

/** The facts rollout eligibility reads of a known device. */
export interface DeviceTargetFacts {
  readonly id: string;
  readonly board: string | null;
  readonly chip: string | null;
  readonly version: string | null;
  readonly otaLabel: string | null;
  readonly slotOta0: number | null;
  readonly slotOta1: number | null;
}

export interface NewAudit {
  readonly at: number;
  readonly action: string;
  readonly target: string;
  readonly means: AuditMeans;
  readonly address: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface FleetStore {
  readonly kind: StoreKind;
  /** Applies missing migrations under the store's lock; a newer schema is reported, not touched. */
  migrate(): Promise<SchemaStatus>;
  /** The schema version as the store has it now (a later sync may find a newer one). */
  schemaStatus(): Promise<SchemaStatus>;
  /** The database's clock (ms); time windows use it where the store has one. */
  now(): Promise<number>;
  /** The token secret kept in the store: `candidate` is stored when there is none yet. */
  tokenSecret(candidate: string): Promise<string>;
  /** Writes a batch of observations in one transaction ("seen" rows merged into devices, events appended). */
  write(batch: Batch): Promise<void>;
  /**
   * Records that `replica` has written every event up to `writtenTo` (the store's clock), and that it is
   * alive: its flush calls this after writing everything it had.
   */
  markWritten(replica: string, writtenTo: number): Promise<void>;
  /** A replica stopping for good: the others stop waiting for its writes at once. */
  forgetReplica(replica: string): Promise<void>;
  /**
   * What replies depend on, read consistently (docs/fleet.md "Replicas"). With `changedSince` (the store's
   * clock), attempts are read as the ones a settle wrote since then, open or ended, instead of every open one.
   */
  snapshot(changedSince?: number | null): Promise<SyncSnapshot>;
  /**
   * Claims the devices whose events up to `cutoff` nobody folded yet, folds them with `settle` inside the
   * same transaction and writes the result. Devices another replica claimed first are left out.
   */
  settle(
    devices: readonly string[],
    cutoff: number,
    settle: (input: Pick<SettleInput, 'devices' | 'rollouts'>) => SettleOutput,
  ): Promise<SettleOutput>;
  listDevices(query: DeviceQuery): Promise<DevicePage>;
  /** The record and its attempts, newest first; `null` when unknown. */
  device(
    id: string,
  ): Promise<{ readonly record: DeviceRecord; readonly attempts: readonly Attempt[] } | null>;
  /** Clears one entry's record (or all the device's) and restarts the count; returns the entries cleared. */
  unblock(device: string, entryId: string | null): Promise<readonly EntryRecord[]>;
  rollouts(): Promise<readonly Rollout[]>;
  /** Halts an entry unless it is halted already (then `false`). */
  halt(
    entry: { readonly entryId: string; readonly board: string; readonly version: string },
    halt: Halt,
  ): Promise<boolean>;
  /** Resumes a halted entry and starts a new counting window at `at`; `false` when it was not halted. */
  resume(entryId: string, at: number): Promise<boolean>;
  attemptCounts(): Promise<readonly AttemptCounts[]>;
  /** Every known device's targeting facts, a page at a time (keyset on id). */
  deviceFacts(after: string | null, limit: number): Promise<readonly DeviceTargetFacts[]>;
  /** Known devices per (board, version): the `fleet_devices` gauge's input. */
  deviceCounts(): Promise<
    readonly { readonly board: string | null; readonly version: string | null; readonly devices: number }[]
  >;
  appendAudit(entry: NewAudit): Promise<void>;
  /** Newest first; `before` is a `seq` to page back from. */
  audit(limit: number, before: number | null): Promise<readonly AuditEntry[]>;
  /** Deletes devices not seen since `before` and ended attempts older than it; then the oldest devices beyond `maxDevices`. */
  retain(
    before: number,
    maxDevices: number,
  ): Promise<{ readonly devices: number; readonly attempts: number }>;
  close(): Promise<void>;
}
