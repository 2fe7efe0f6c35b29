/**
 * Settling: the store's authoritative fold of events once every replica has had time to write them
 * (`flush_ms + sync_ms`: docs/fleet.md "Update attempts"). The store runs this pure function inside the
 * transaction that claims the devices, so each ending is logged, counted and acted on exactly once.
 */
import type { Windows } from './attempt-machine.js';
import { foldDevice, type DeviceEvent } from './device-fold.js';
import { applyEnding, emptyEntryRecord, emptyRollout, type ProtectionSettings } from './protections.js';
import type { Attempt, AttemptState, EntryRecord, Halt, Rollout } from './types.js';

export interface SettleDevice {
  readonly device: string;
  readonly open: Attempt | null;
  readonly records: readonly EntryRecord[];
  /** The device's unfolded events up to the cutoff. */
  readonly events: readonly DeviceEvent[];
}

export interface SettleInput {
  readonly devices: readonly SettleDevice[];
  readonly rollouts: ReadonlyMap<string, Rollout>;
  /** Events up to here are folded; silence windows run out up to here. */
  readonly cutoff: number;
  readonly replica: string;
  readonly settings: ProtectionSettings & { readonly windows: Windows };
}

export interface Ended {
  readonly attempt: Attempt;
  /** The device's record of the entry after this ending. */
  readonly record: EntryRecord;
  /** This ending blocked the device from the entry. */
  readonly blocked: boolean;
}

export interface SettleOutput {
  /** Attempts that ended (written before `open`: at most one open attempt per device). */
  readonly ended: readonly Attempt[];
  /** Attempts open after the fold that changed. */
  readonly open: readonly Attempt[];
  readonly records: readonly EntryRecord[];
  readonly rollouts: readonly Rollout[];
  readonly endings: readonly Ended[];
  readonly halts: readonly { readonly rollout: Rollout; readonly halt: Halt }[];
  /** Per device: the state of its open or last attempt, where it changed. */
  readonly states: readonly { readonly device: string; readonly state: AttemptState }[];
}

export function settleDevices({ devices, rollouts, cutoff, replica, settings }: SettleInput): SettleOutput {
  const ended: Attempt[] = [];
  const open: Attempt[] = [];
  const records = new Map<string, EntryRecord>();
  const changedRollouts = new Map<string, Rollout>();
  const endings: Ended[] = [];
  const halts: { rollout: Rollout; halt: Halt }[] = [];
  const states: { device: string; state: AttemptState }[] = [];

  for (const item of devices) {
    const own = new Map(item.records.map((r) => [r.entryId, r]));
    const result = foldDevice({
      device: item.device,
      open: item.open,
      attemptsOf: (entryId) => own.get(entryId)?.attempts ?? 0,
      events: item.events,
      until: cutoff,
      replica,
      windows: settings.windows,
    });
    for (const opened of result.opened) {
      const record = own.get(opened.entryId) ?? emptyEntryRecord(opened);
      const next = { ...record, attempts: record.attempts + 1 };
      own.set(opened.entryId, next);
      records.set(`${item.device}|${opened.entryId}`, next);
    }
    for (const attempt of result.ended) {
      ended.push(attempt);
      const rollout =
        changedRollouts.get(attempt.entryId) ?? rollouts.get(attempt.entryId) ?? emptyRollout(attempt);
      const record = own.get(attempt.entryId) ?? emptyEntryRecord(attempt);
      const outcome = applyEnding(attempt, record, rollout, settings);
      own.set(attempt.entryId, outcome.record);
      records.set(`${item.device}|${attempt.entryId}`, outcome.record);
      if (outcome.rollout !== rollout) changedRollouts.set(attempt.entryId, outcome.rollout);
      endings.push({ attempt, record: outcome.record, blocked: outcome.blocked });
      if (outcome.halted !== null) halts.push({ rollout: outcome.rollout, halt: outcome.halted });
    }
    if (result.open !== null && result.open !== item.open) open.push(result.open);
    const last = result.open ?? result.ended[result.ended.length - 1] ?? null;
    if (last !== null && last !== item.open) states.push({ device: item.device, state: last.state });
  }
  return {
    ended,
    open,
    records: [...records.values()],
    rollouts: [...changedRollouts.values()],
    endings,
    halts,
    states,
  };
}
