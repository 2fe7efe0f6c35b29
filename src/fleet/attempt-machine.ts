/**
 * The update state machine (docs/fleet.md "Update attempts"; docs/contributing.md §21): `(attempt, event) →
 * (attempt', effects)`, pure. Time comes in the event; the store only persists what it returns and the
 * hot path only records events.
 */
import type { Attempt, Ending, FailureReason } from './types.js';

/** What happened to a device, as the machine reads it. `replica` names who saw it (stored per event). */
export type AttemptEvent =
  | {
      readonly kind: 'check';
      readonly at: number;
      readonly replica: string;
      /** The running version the check reported; `null` = unreadable (the check changes nothing). */
      readonly version: string | null;
      /** The HTTP status the device got. */
      readonly status: number;
      /**
       * The entry the catalog would have offered on this check as blocks and halts stood before any ending
       * it causes: `withdrawn` is judged on it.
       */
      readonly candidate: string | null;
      /** Whether the reply carried `activation` (a v2 device re-checks in the same boot). */
      readonly activation: boolean;
    }
  | {
      readonly kind: 'download';
      readonly at: number;
      readonly replica: string;
      readonly file: string;
      /** `completed`: every byte written and the connection closed without error; else `aborted`. */
      readonly phase: 'started' | 'completed' | 'aborted';
      readonly bytes: number;
    }
  /** Time passing: ends an attempt whose silence window ran out. */
  | { readonly kind: 'tick'; readonly at: number; readonly replica: string };

export interface Windows {
  /** `silent_after_download_minutes` in ms. */
  readonly silentAfterDownloadMs: number;
  /** `attempt_timeout_hours` in ms. */
  readonly attemptTimeoutMs: number;
}

export type Effect = { readonly kind: 'ended'; readonly ending: Ending; readonly counted: boolean };

export interface Step {
  readonly attempt: Attempt;
  readonly effects: readonly Effect[];
}

/** Whether an attempt has ended. */
export function isOpen(attempt: Attempt): boolean {
  return attempt.endedAt === null;
}

/** The ending an open attempt reaches if nothing happens, and when. */
export function deadline(
  attempt: Attempt,
  { silentAfterDownloadMs, attemptTimeoutMs }: Windows,
): { readonly at: number; readonly ending: Ending } {
  const completed = attempt.downloadCompletedAt;
  if (
    attempt.state === 'downloaded' &&
    completed !== null &&
    (attempt.lastCheckAt === null || attempt.lastCheckAt < completed)
  ) {
    // The image was written and the device never came back: it likely bricks devices (counted).
    return { at: completed + silentAfterDownloadMs, ending: { state: 'silent', reason: 'silent' } };
  }
  return { at: attempt.lastEventAt + attemptTimeoutMs, ending: { state: 'silent', reason: 'timed-out' } };
}

/** Applies one event to an open attempt; an ended attempt is returned unchanged. */
export function step(attempt: Attempt, event: AttemptEvent, windows: Windows): Step {
  if (!isOpen(attempt)) return unchanged(attempt);
  // An event after the silence window finds the attempt already ended at the deadline.
  const due = deadline(attempt, windows);
  if (event.at >= due.at) return end(attempt, due.ending, due.at, event.replica);
  switch (event.kind) {
    case 'tick':
      return unchanged(attempt);
    case 'download':
      return download(attempt, event);
    case 'check':
      return check(attempt, event);
    default: {
      const never: never = event;
      return never;
    }
  }
}

function download(attempt: Attempt, event: Extract<AttemptEvent, { kind: 'download' }>): Step {
  // A token names a device, not an attempt: a download of another image is not this attempt's.
  if (event.file !== attempt.file) return unchanged(attempt);
  const base = { ...attempt, lastEventAt: event.at, downloadBy: event.replica };
  switch (event.phase) {
    case 'started':
      return {
        attempt: {
          ...base,
          state: 'downloading',
          downloadStartedAt: event.at,
          downloadCompletedAt: null,
          downloadBytes: 0,
        },
        effects: [],
      };
    case 'completed':
      return {
        attempt: {
          ...base,
          state: 'downloaded',
          downloadStartedAt: attempt.downloadStartedAt ?? event.at,
          downloadCompletedAt: event.at,
          downloadBytes: event.bytes,
        },
        effects: [],
      };
    case 'aborted':
      // Started, not complete: a check reporting from_version then fails it as `download-aborted`.
      return {
        attempt: {
          ...base,
          state: 'downloading',
          downloadStartedAt: attempt.downloadStartedAt ?? event.at,
          downloadCompletedAt: null,
          downloadBytes: event.bytes,
        },
        effects: [],
      };
    default: {
      const never: never = event.phase;
      return never;
    }
  }
}

function check(attempt: Attempt, event: Extract<AttemptEvent, { kind: 'check' }>): Step {
  const { version } = event;
  if (version === null) return unchanged(attempt);
  if (version === attempt.toVersion) {
    // The device confirms its image on any successful check; a non-200 answer may still be rolled back.
    if (event.status === 200) return end(attempt, { state: 'installed' }, event.at, event.replica);
    return {
      attempt: { ...attempt, reportedToVersion: true, lastCheckAt: event.at, lastEventAt: event.at },
      effects: [],
    };
  }
  if (version !== attempt.fromVersion) return end(attempt, { state: 'superseded' }, event.at, event.replica);
  const failure = failureReason(attempt);
  if (failure !== null) return end(attempt, { state: 'failed', reason: failure }, event.at, event.replica);
  // No download seen. A v2 device re-checks after activation in the same boot before it downloads: while
  // the entry is still offered that is the same attempt going on, not a failure.
  const stillOffered = event.candidate === attempt.entryId;
  if (attempt.activation && stillOffered) {
    return {
      attempt: { ...attempt, activation: event.activation, lastCheckAt: event.at, lastEventAt: event.at },
      effects: [],
    };
  }
  if (!stillOffered) return end(attempt, { state: 'withdrawn' }, event.at, event.replica);
  return end(
    attempt,
    { state: 'failed', reason: attempt.urlKind === 'external' ? 'offer-unreachable' : 'not-downloaded' },
    event.at,
    event.replica,
  );
}

/** The failure a check reporting `from_version` reveals when a download (or a to_version report) was seen. */
function failureReason(attempt: Attempt): Exclude<FailureReason, 'silent'> | null {
  if (attempt.reportedToVersion) return 'rolled-back';
  if (attempt.downloadCompletedAt !== null) return 'rejected-or-rolled-back';
  if (attempt.downloadStartedAt !== null) return 'download-aborted';
  return null;
}

/** Whether an ending counts as a failure (docs/fleet.md states table). */
export function isCounted(ending: Ending): boolean {
  switch (ending.state) {
    case 'failed':
      return true;
    case 'silent':
      return ending.reason === 'silent';
    case 'installed':
    case 'superseded':
    case 'withdrawn':
      return false;
    default: {
      const never: never = ending;
      return never;
    }
  }
}

function end(attempt: Attempt, ending: Ending, at: number, replica: string): Step {
  const counted = isCounted(ending);
  return {
    attempt: {
      ...attempt,
      state: ending.state,
      reason: 'reason' in ending ? ending.reason : null,
      counted,
      endedAt: at,
      endedBy: replica,
      lastEventAt: Math.max(attempt.lastEventAt, at),
    },
    effects: [{ kind: 'ended', ending, counted }],
  };
}

function unchanged(attempt: Attempt): Step {
  return { attempt, effects: NO_EFFECTS };
}

const NO_EFFECTS: readonly Effect[] = [];
