/** A fleet service under test and one device check through it, as the HTTP layer will make it. */
import type { FleetSettings } from '../../src/config/types.js';
import type { Origin } from '../../src/config/types.js';
import type { DeviceFacts } from '../../src/device/types.js';
import { decideOffer } from '../../src/firmware/select.js';
import type { Catalog, FirmwareDecision } from '../../src/firmware/types.js';
import { sentOfferOf } from '../../src/fleet/sent-offer.js';
import type { FleetNotice, FleetService } from '../../src/fleet/service.js';

export function fleetSettings(overrides: Partial<FleetSettings> = {}): FleetSettings {
  return {
    enabled: true,
    store: { kind: 'memory' },
    tokenSecret: null,
    flushMs: 50,
    syncMs: 100,
    maxPending: 100_000,
    maxDevices: 1_000_000,
    maxFailedAttempts: 3,
    silentAfterDownloadMinutes: 30,
    attemptTimeoutHours: 24,
    halt: { minFailedDevices: 3, failureRate: 0.2 },
    forgetAfterDays: 365,
    ...overrides,
  };
}

const origin: Origin = { scheme: 'http', host: '10.0.0.1', port: 8003 };

/** One check: decide with the fleet's gate, answer `status`, observe it. */
export function checkThrough(
  fleet: FleetService,
  catalog: Catalog,
  device: DeviceFacts,
  { status = 200, at = Date.now(), activation = false } = {},
): FirmwareDecision {
  const plan = fleet.beginCheck({ device, at, track: true });
  const decision = plan.decide((gate) => decideOffer({ catalog, device, origin, publicUrl: 'auto', gate }));
  fleet.observeCheck(plan, device, {
    flashSize: 16_777_216,
    language: 'en-US',
    address: '192.168.1.50',
    status,
    transport: 'websocket',
    outcome: 'rewritten',
    activation,
    offer: status === 200 ? sentOfferOf(decision) : null,
    exchange: { upstream_status: status },
  });
  return decision;
}

/** Polls until `predicate` holds (every 20 ms), else fails after `ms`. */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function endedAttempts(notices: readonly FleetNotice[]) {
  return notices.flatMap((n) => (n.kind === 'attempt-ended' ? [n.attempt] : []));
}
