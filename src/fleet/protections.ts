/**
 * Per-device blocks and per-rollout halts (docs/fleet.md "Protections"), pure: what one attempt's ending
 * does to the device's record of the entry and to the entry's rollout window.
 */
import type { Attempt, EntryRecord, FailureReason, Halt, Rollout } from './types.js';

export interface ProtectionSettings {
  /** `fleet.max_failed_attempts`. */
  readonly maxFailedAttempts: number;
  /** `fleet.halt.min_failed_devices`. */
  readonly minFailedDevices: number;
  /** `fleet.halt.failure_rate`. */
  readonly failureRate: number;
}

/** Whether a device's record of an entry blocks it. */
export function isBlocked(record: EntryRecord | null | undefined, maxFailedAttempts: number): boolean {
  return record != null && record.failures >= maxFailedAttempts;
}

/** A fresh record: no attempts since the last unblock. */
export function emptyEntryRecord(
  attempt: Pick<Attempt, 'device' | 'entryId' | 'board' | 'toVersion'>,
): EntryRecord {
  return {
    device: attempt.device,
    entryId: attempt.entryId,
    board: attempt.board,
    version: attempt.toVersion,
    attempts: 0,
    failures: 0,
    lastReason: null,
    blockedSince: null,
    windowStart: 0,
    windowOutcome: null,
  };
}

/** A rollout that has never been halted or resumed: its window started at the beginning. */
export function emptyRollout(attempt: Pick<Attempt, 'entryId' | 'board' | 'toVersion'>): Rollout {
  return {
    entryId: attempt.entryId,
    board: attempt.board,
    version: attempt.toVersion,
    windowStart: 0,
    failedDevices: 0,
    installedDevices: 0,
    halt: null,
  };
}

export interface EndingOutcome {
  readonly record: EntryRecord;
  readonly rollout: Rollout;
  /** The device became blocked by this ending. */
  readonly blocked: boolean;
  /** The rollout was halted by this ending. */
  readonly halted: Halt | null;
}

/** What an ended attempt does to its device's entry record and its entry's rollout. */
export function applyEnding(
  attempt: Attempt,
  record: EntryRecord,
  rollout: Rollout,
  settings: ProtectionSettings,
): EndingOutcome {
  const at = attempt.endedAt ?? attempt.lastEventAt;
  let nextRecord = record;
  let blocked = false;
  if (attempt.counted) {
    const failures = record.failures + 1;
    blocked = record.failures < settings.maxFailedAttempts && failures >= settings.maxFailedAttempts;
    nextRecord = {
      ...record,
      failures,
      lastReason: attempt.reason as FailureReason,
      blockedSince: record.blockedSince ?? (failures >= settings.maxFailedAttempts ? at : null),
    };
  }

  // Only endings inside the rollout's current window count towards a halt (a resume restarts it).
  if (at < rollout.windowStart) return { record: nextRecord, rollout, blocked, halted: null };
  const outcome = record.windowStart === rollout.windowStart ? record.windowOutcome : null;
  let { failedDevices, installedDevices } = rollout;
  let windowOutcome = outcome;
  if (attempt.counted && outcome !== 'failed') {
    failedDevices += 1;
    if (outcome === 'installed') installedDevices -= 1;
    windowOutcome = 'failed';
  } else if (attempt.state === 'installed' && outcome === null) {
    installedDevices += 1;
    windowOutcome = 'installed';
  }
  nextRecord = { ...nextRecord, windowStart: rollout.windowStart, windowOutcome };
  let nextRollout: Rollout = { ...rollout, failedDevices, installedDevices };
  let halted: Halt | null = null;
  if (rollout.halt === null && shouldHalt(failedDevices, installedDevices, settings)) {
    halted = {
      at,
      by: 'fleet',
      reason: `${failedDevices} of ${failedDevices + installedDevices} devices failed (last: ${attempt.device}, ${attempt.reason ?? ''})`,
      failed: failedDevices,
      installed: installedDevices,
    };
    nextRollout = { ...nextRollout, halt: halted };
  }
  return { record: nextRecord, rollout: nextRollout, blocked, halted };
}

/** `F >= min_failed_devices && F / (I + F) >= failure_rate` (docs/fleet.md "Per rollout"). */
export function shouldHalt(
  failed: number,
  installed: number,
  { minFailedDevices, failureRate }: Pick<ProtectionSettings, 'minFailedDevices' | 'failureRate'>,
): boolean {
  return failed >= minFailedDevices && failed > 0 && failed / (installed + failed) >= failureRate;
}

/** The withholding text for a block (docs/fleet.md "Per device"): `blocked: failed 3 times (<reason>)`. */
export function blockDetail(record: Pick<EntryRecord, 'failures' | 'lastReason'>): string {
  return `blocked: failed ${record.failures} time${record.failures === 1 ? '' : 's'} (${record.lastReason ?? 'unknown'})`;
}

export function haltDetail(halt: Halt): string {
  return `halted: ${halt.reason}`;
}
