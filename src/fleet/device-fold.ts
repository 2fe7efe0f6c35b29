/**
 * A device's events folded into its attempts (docs/fleet.md "Update attempts"): every event is applied to
 * the attempt open at its time, in time order whatever order the events arrived in, and an offer on a
 * check opens the next attempt after ending the previous one. Deterministic: every replica folding the
 * same events gets the same attempts (ids included), so an ending is claimed once in the store.
 */
import { isOpen, step, type AttemptEvent, type Windows } from './attempt-machine.js';
import type { Attempt, SentOffer } from './types.js';

/** A recorded observation that matters to attempts. `id` is unique across replicas (`<replica>:<n>`). */
export type DeviceEvent =
  | (Extract<AttemptEvent, { kind: 'check' }> & {
      readonly id: string;
      readonly device: string;
      /** The offer the device was actually sent, if any. */
      readonly offer: SentOffer | null;
    })
  | (Extract<AttemptEvent, { kind: 'download' }> & { readonly id: string; readonly device: string });

export interface FoldInput {
  readonly device: string;
  /** The attempt open before these events (from the store or this replica's view). */
  readonly open: Attempt | null;
  /** Attempts of an entry since the device's last unblock, before these events. */
  readonly attemptsOf: (entryId: string) => number;
  readonly events: readonly DeviceEvent[];
  /** Time has passed up to here: an open attempt whose silence window ran out by then ends. */
  readonly until: number;
  /** Who ends an attempt by time alone (the replica folding). */
  readonly replica: string;
  readonly windows: Windows;
}

export interface FoldResult {
  /** The attempt open after the fold. */
  readonly open: Attempt | null;
  /** Attempts that ended during the fold, in order (including ones opened during it). */
  readonly ended: readonly Attempt[];
  /** Attempts opened during the fold (their final state is in `open` or `ended`). */
  readonly opened: readonly Attempt[];
}

/** Same-millisecond order: a download starts before it ends, and both come before a check. */
const PHASE_ORDER = { started: 0, completed: 1, aborted: 1 } as const;

/** Total order of events: time, then kind, then id (deterministic across replicas). */
export function compareEvents(a: DeviceEvent, b: DeviceEvent): number {
  if (a.at !== b.at) return a.at - b.at;
  const ka = a.kind === 'check' ? 2 : PHASE_ORDER[a.phase];
  const kb = b.kind === 'check' ? 2 : PHASE_ORDER[b.phase];
  if (ka !== kb) return ka - kb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function foldDevice(input: FoldInput): FoldResult {
  const { windows } = input;
  const events = [...input.events].sort(compareEvents);
  const ended: Attempt[] = [];
  const opened: Attempt[] = [];
  const extraAttempts = new Map<string, number>();
  let open = input.open;

  const apply = (event: AttemptEvent): void => {
    if (open === null) return;
    const next = step(open, event, windows).attempt;
    if (!isOpen(next)) {
      ended.push(next);
      open = null;
    } else {
      open = next;
    }
  };

  for (const event of events) {
    apply(event);
    if (event.kind !== 'check' || event.offer === null) continue;
    const offer = event.offer;
    // An activation re-check that is still offered the same entry goes on with the same attempt.
    if (open !== null && open.entryId === offer.entryId && open.lastCheckAt === event.at) continue;
    if (open !== null) {
      // Left open by this check (a non-200 answer) yet a new offer was sent: at most one attempt is open.
      ended.push({
        ...open,
        state: 'superseded',
        reason: null,
        counted: false,
        endedAt: event.at,
        endedBy: event.replica,
      });
      open = null;
    }
    if (event.version === null) continue;
    const before = (extraAttempts.get(offer.entryId) ?? 0) + input.attemptsOf(offer.entryId);
    extraAttempts.set(offer.entryId, (extraAttempts.get(offer.entryId) ?? 0) + 1);
    open = openAttempt(input.device, offer, event, before + 1);
    opened.push(open);
  }
  apply({ kind: 'tick', at: input.until, replica: input.replica });
  return { open, ended, opened };
}

/**
 * The attempt an offer opens (state `offered`). Its id names the check that opened it: two offering checks
 * of one device can fall in the same millisecond (two replicas, a quick re-boot), and an id made of the
 * time alone would then write the second attempt over the first.
 */
export function openAttempt(
  device: string,
  offer: SentOffer,
  check: {
    /** The opening check's event id (unique, the same on every replica). */
    readonly id: string;
    readonly at: number;
    readonly replica: string;
    readonly version: string | null;
    readonly activation: boolean;
  },
  number: number,
): Attempt {
  return {
    id: `${device}@${check.at}/${check.id}`,
    device,
    entryId: offer.entryId,
    board: offer.board,
    fromVersion: check.version ?? '',
    toVersion: offer.version,
    file: offer.file,
    forced: offer.forced,
    urlKind: offer.urlKind,
    number,
    offeredAt: check.at,
    offeredBy: check.replica,
    activation: check.activation,
    downloadStartedAt: null,
    downloadBytes: 0,
    downloadCompletedAt: null,
    downloadBy: null,
    reportedToVersion: false,
    lastCheckAt: null,
    lastEventAt: check.at,
    state: 'offered',
    reason: null,
    counted: false,
    endedAt: null,
    endedBy: null,
  };
}
