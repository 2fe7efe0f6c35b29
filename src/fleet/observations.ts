/**
 * What the hot path records for the store: per-device "seen" updates (merged: one row per device however
 * often it checks) and attempt events (appended; the fold needs each one). Plain data, no I/O.
 */
import type { DeviceEvent } from './device-fold.js';

/** What the device reported and got on its last check (docs/fleet.md "Device record"). */
export interface CheckSeen {
  readonly clientId: string | null;
  readonly board: string | null;
  readonly boardType: string | null;
  readonly chip: string | null;
  readonly version: string | null;
  readonly otaLabel: string | null;
  readonly slotOta0: number | null;
  readonly slotOta1: number | null;
  readonly flashSize: number | null;
  readonly language: string | null;
  readonly address: string;
  readonly status: number;
  readonly outcome: string;
  readonly transport: 'websocket' | 'mqtt' | null;
  readonly activationPending: boolean;
  /** The last exchange's summary (what the upstream sent, what the device got), as JSON-able data. */
  readonly exchange: Readonly<Record<string, unknown>> | null;
}

/** One device's merged updates since the last write. */
export interface SeenUpdate {
  readonly device: string;
  /** The first and last time any of these updates happened. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** Checks merged into this update. */
  readonly checks: number;
  /** The latest check's facts, if a check was seen. */
  readonly check: CheckSeen | null;
  /** The latest voice change, if any: `online` after an open, not after a close. */
  readonly voice: { readonly online: boolean; readonly at: number } | null;
}

/** A batch taken for one write. */
export interface Batch {
  readonly seen: readonly SeenUpdate[];
  readonly events: readonly DeviceEvent[];
}

/** `a` then `b` (b is newer). */
export function mergeSeen(a: SeenUpdate, b: SeenUpdate): SeenUpdate {
  return {
    device: a.device,
    firstAt: Math.min(a.firstAt, b.firstAt),
    lastAt: Math.max(a.lastAt, b.lastAt),
    checks: a.checks + b.checks,
    check: b.check ?? a.check,
    voice: b.voice ?? a.voice,
  };
}
