/** Attempts, events and settings for the fleet's pure tests: pass only what the test is about. */
import type { AttemptEvent, Windows } from '../../src/fleet/attempt-machine.js';
import type { DeviceEvent } from '../../src/fleet/device-fold.js';
import { openAttempt } from '../../src/fleet/device-fold.js';
import type { Attempt, SentOffer } from '../../src/fleet/types.js';

export const DEVICE = 'aa:bb:cc:dd:ee:01';
export const T0 = 1_786_000_000_000;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const WINDOWS: Windows = { silentAfterDownloadMs: 30 * MINUTE, attemptTimeoutMs: 24 * HOUR };

export const OFFER: SentOffer = {
  entryId: 'e2e2e2e2e2e2',
  board: 'bread-compact-wifi',
  version: '2.0.0',
  file: 'bread-compact-wifi-2.0.0.bin',
  forced: false,
  urlKind: 'proxy',
};

/** An attempt offered at T0 from 1.9.0 to 2.0.0, then changed by `overrides`. */
export function attempt(overrides: Partial<Attempt> = {}, offer: SentOffer = OFFER): Attempt {
  return {
    ...openAttempt(
      DEVICE,
      offer,
      { id: 'r1:1', at: T0, replica: 'r1', version: '1.9.0', activation: false },
      1,
    ),
    ...overrides,
  };
}

export function check(
  at: number,
  version: string | null,
  { status = 200, candidate = OFFER.entryId as string | null, activation = false, replica = 'r1' } = {},
): Extract<AttemptEvent, { kind: 'check' }> {
  return { kind: 'check', at, replica, version, status, candidate, activation };
}

export function download(
  at: number,
  phase: 'started' | 'completed' | 'aborted',
  { file = OFFER.file, bytes = phase === 'started' ? 0 : 2_000_000, replica = 'r1' } = {},
): Extract<AttemptEvent, { kind: 'download' }> {
  return { kind: 'download', at, replica, file, phase, bytes };
}

let n = 0;

/** A check as recorded (with an id and the offer sent). */
export function checkEvent(
  at: number,
  version: string | null,
  options: Parameters<typeof check>[2] & { offer?: SentOffer | null; device?: string } = {},
): DeviceEvent {
  n += 1;
  return {
    ...check(at, version, options),
    id: `${options.replica ?? 'r1'}:${String(n).padStart(6, '0')}`,
    device: options.device ?? DEVICE,
    offer: options.offer ?? null,
  };
}

export function downloadEvent(
  at: number,
  phase: 'started' | 'completed' | 'aborted',
  options: Parameters<typeof download>[2] & { device?: string } = {},
): DeviceEvent {
  n += 1;
  return {
    ...download(at, phase, options),
    id: `${options.replica ?? 'r1'}:${String(n).padStart(6, '0')}`,
    device: options.device ?? DEVICE,
  };
}
