/**
 * The fleet's records (docs/fleet.md "Device record", "Update attempts", "Protections"): plain data the
 * pure machine folds, the store persists and the admin API shows.
 */

/** The states of docs/fleet.md "Update attempts"; the first three are open, the rest are endings. */
export type OpenState = 'offered' | 'downloading' | 'downloaded';
export type EndState = 'installed' | 'failed' | 'silent' | 'superseded' | 'withdrawn';
export type AttemptState = OpenState | EndState;

/** Why an attempt failed (`failed` state), or `silent` (no check after a completed download). */
export type FailureReason =
  | 'rejected-or-rolled-back'
  | 'download-aborted'
  | 'not-downloaded'
  | 'offer-unreachable'
  | 'rolled-back'
  | 'silent';

/** `timed-out`: no event within `attempt_timeout_hours` outside the silent-after-download case; not counted. */
export type EndReason = FailureReason | 'timed-out';

/** How an attempt ended. `counted` endings feed blocks and halts (docs/fleet.md "Protections"). */
export type Ending =
  | { readonly state: 'installed' }
  | { readonly state: 'failed'; readonly reason: Exclude<FailureReason, 'silent'> }
  | { readonly state: 'silent'; readonly reason: 'silent' | 'timed-out' }
  | { readonly state: 'superseded' }
  | { readonly state: 'withdrawn' };

/** Where an offered image is fetched: through the proxy (downloads visible) or an entry's external `url`. */
export type UrlKind = 'proxy' | 'external';

/** The firmware offer a device was actually sent on a check. */
export interface SentOffer {
  readonly entryId: string;
  /** The entry's board glob as written. */
  readonly board: string;
  readonly version: string;
  readonly file: string;
  readonly forced: boolean;
  readonly urlKind: UrlKind;
}

/** One offer of one catalog entry to one device, followed to its end (docs/fleet.md "Update attempts"). */
export interface Attempt {
  /** Deterministic: every replica folding the same events names it the same (`<device>@<offered_at>`). */
  readonly id: string;
  readonly device: string;
  readonly entryId: string;
  readonly board: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly file: string;
  readonly forced: boolean;
  readonly urlKind: UrlKind;
  /** This device's nth attempt of this entry since its last unblock. */
  readonly number: number;
  readonly offeredAt: number;
  readonly offeredBy: string;
  /** The offering check's reply carried `activation`: a v2 device re-checks in the same boot. */
  readonly activation: boolean;
  readonly downloadStartedAt: number | null;
  readonly downloadBytes: number;
  readonly downloadCompletedAt: number | null;
  readonly downloadBy: string | null;
  /** A check reported `to_version` on a non-200 answer: a later `from_version` is a roll-back. */
  readonly reportedToVersion: boolean;
  /** The last check applied to this attempt (not the offering one). */
  readonly lastCheckAt: number | null;
  readonly lastEventAt: number;
  readonly state: AttemptState;
  readonly reason: EndReason | null;
  /** Whether the ending counts as a failure (blocks, halts). */
  readonly counted: boolean;
  readonly endedAt: number | null;
  readonly endedBy: string | null;
}

/** A device's history with one entry since its last unblock (blocks: docs/fleet.md "Protections"). */
export interface EntryRecord {
  readonly device: string;
  readonly entryId: string;
  readonly board: string;
  readonly version: string;
  /** Attempts of this entry since the last unblock (the next attempt's `number` is this + 1). */
  readonly attempts: number;
  /** Counted failures since the last unblock. */
  readonly failures: number;
  readonly lastReason: FailureReason | null;
  /** When the failures reached `max_failed_attempts`; `null` = not blocked. */
  readonly blockedSince: number | null;
  /** The rollout window (the entry's `window_start`) `windowOutcome` belongs to. */
  readonly windowStart: number;
  /** This device in the entry's current counting window: F (failed) wins over I (installed). */
  readonly windowOutcome: 'failed' | 'installed' | null;
}

/** A rollout's counting window and halt (docs/fleet.md "Per rollout"). */
export interface Rollout {
  readonly entryId: string;
  readonly board: string;
  readonly version: string;
  /** When the current counting window started (0 = the beginning; a resume restarts it). */
  readonly windowStart: number;
  /** F: distinct devices with a counted failure in the window. */
  readonly failedDevices: number;
  /** I: distinct devices installed in the window and never failed in it. */
  readonly installedDevices: number;
  readonly halt: Halt | null;
}

export interface Halt {
  readonly at: number;
  /** `fleet` (automatic) or the operator's note. */
  readonly by: 'fleet' | 'operator';
  readonly reason: string;
  /** F and I when it was halted. */
  readonly failed: number;
  readonly installed: number;
}

/** How an operator action reached the fleet (docs/fleet.md "Interfaces": audit). */
export type AuditMeans = 'api' | 'console' | 'cli' | 'fleet';

export interface Actor {
  readonly means: AuditMeans;
  /** The caller's address; `null` for the CLI and the fleet itself. */
  readonly address: string | null;
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: number;
  /** e.g. `rollout.halt`, `rollout.resume`, `device.unblock`, `catalog.patch`, `firmware.upload`. */
  readonly action: string;
  /** What it acted on: an entry id, a device id, a file. */
  readonly target: string;
  readonly means: AuditMeans;
  readonly address: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}
