/**
 * The last good transport sections per device, for the fallback reply (docs/configuration.md "Which reply a device
 * gets"): the upstream's own sections, kept raw, at most `fallback.remember_devices` devices in total.
 *
 * A segmented LRU, so that strangers cannot flush it: anyone on the devices' network can send checks with
 * made-up `Device-Id`s, and 12,000 one-time ids pushed a real device's remembered token out of a plain LRU —
 * its next fallback, during an outage, came without it. A device seen for the first time enters the
 * probation segment; seen again (another good reply, or a fallback that recalls it) it moves to the
 * protected segment. Room is always made in probation first, so one-time ids only ever push out other
 * one-time ids; the protected segment holds at most 80 % of the capacity, its least recently seen device
 * moving back to probation when it is full.
 */
import type { JsonObject } from '../rewrite/types.js';

export interface RememberedDevice {
  /** The upstream's own last good `websocket` section, before any rule ran. */
  readonly websocket: JsonObject | null;
  /** The upstream's raw `mqtt` section, when the reply the device last got used MQTT. */
  readonly mqtt: JsonObject | null;
}

/** The share of the capacity devices seen more than once may hold. */
const PROTECTED_SHARE = 0.8;

/** Two LRU segments keyed by device id; a Map keeps insertion order, so re-inserting marks "recently seen". */
export class DeviceMemory {
  #capacity: number;
  /** Seen once: the least recently seen first. */
  readonly #probation = new Map<string, RememberedDevice>();
  /** Seen again: the least recently seen first. */
  readonly #protected = new Map<string, RememberedDevice>();

  constructor(capacity: number) {
    this.#capacity = Math.max(0, capacity);
  }

  get size(): number {
    return this.#probation.size + this.#protected.size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** How many devices seen more than once it holds (the rest were seen once, or were pushed back). */
  get protectedSize(): number {
    return this.#protected.size;
  }

  /** Changing the capacity (config reload) evicts at once, devices seen once first. */
  resize(capacity: number): void {
    this.#capacity = Math.max(0, capacity);
    this.#fit();
  }

  remember(deviceId: string, entry: RememberedDevice): void {
    if (this.#capacity === 0) return;
    if (this.#protected.delete(deviceId) || this.#probation.delete(deviceId)) {
      this.#protected.set(deviceId, entry);
    } else {
      this.#probation.set(deviceId, entry);
    }
    this.#fit();
  }

  /** The device's sections, marking it seen again (a fallback is a sighting too). */
  recall(deviceId: string | null): RememberedDevice | null {
    if (deviceId === null) return null;
    const entry = this.#protected.get(deviceId) ?? this.#probation.get(deviceId);
    if (entry === undefined) return null;
    this.remember(deviceId, entry);
    return entry;
  }

  /** Reads without marking the device seen (/admin/explain changes no state). */
  peek(deviceId: string | null): RememberedDevice | null {
    if (deviceId === null) return null;
    return this.#protected.get(deviceId) ?? this.#probation.get(deviceId) ?? null;
  }

  /** Keeps the protected segment within its share and the whole within the capacity. */
  #fit(): void {
    const protectedRoom = Math.floor(this.#capacity * PROTECTED_SHARE);
    for (const [id, entry] of this.#protected) {
      if (this.#protected.size <= protectedRoom) break;
      this.#protected.delete(id);
      this.#probation.set(id, entry);
    }
    // The protected segment alone never exceeds the capacity, so probation always has the room to give.
    for (const id of this.#probation.keys()) {
      if (this.size <= this.#capacity) return;
      this.#probation.delete(id);
    }
  }
}
