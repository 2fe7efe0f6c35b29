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
 *
 * Each device's sections are kept as one JSON text, not as the parsed objects: up to 10,000 small object
 * graphs that live long would be promoted and traced by every major collection, where a flat string is
 * neither traced nor walked. The text is parsed back only for a fallback (or /admin/explain). The round trip
 * is exact for what the upstream reply parser produces (finite numbers, own `__proto__` members, key order;
 * only `-0` becomes `0`, and every reply is written with `JSON.stringify`, which writes both as `0`).
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
  /** Seen once: the least recently seen first. Values are `RememberedDevice`s as JSON text. */
  readonly #probation = new Map<string, string>();
  /** Seen again: the least recently seen first. */
  readonly #protected = new Map<string, string>();

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
    this.#put(deviceId, JSON.stringify([entry.websocket, entry.mqtt]));
  }

  /** The device's sections, marking it seen again (a fallback is a sighting too). */
  recall(deviceId: string | null): RememberedDevice | null {
    if (deviceId === null) return null;
    const text = this.#protected.get(deviceId) ?? this.#probation.get(deviceId);
    if (text === undefined) return null;
    this.#put(deviceId, text);
    return revive(text);
  }

  /** Reads without marking the device seen (/admin/explain changes no state). */
  peek(deviceId: string | null): RememberedDevice | null {
    if (deviceId === null) return null;
    const text = this.#protected.get(deviceId) ?? this.#probation.get(deviceId);
    return text === undefined ? null : revive(text);
  }

  /** Stores a device's text: a device already known moves to the protected segment. */
  #put(deviceId: string, text: string): void {
    if (this.#protected.delete(deviceId) || this.#probation.delete(deviceId)) {
      this.#protected.set(deviceId, text);
    } else {
      this.#probation.set(deviceId, text);
    }
    this.#fit();
  }

  /** Keeps the protected segment within its share and the whole within the capacity. */
  #fit(): void {
    const protectedRoom = Math.floor(this.#capacity * PROTECTED_SHARE);
    for (const [id, text] of this.#protected) {
      if (this.#protected.size <= protectedRoom) break;
      this.#protected.delete(id);
      this.#probation.set(id, text);
    }
    // The protected segment alone never exceeds the capacity, so probation always has the room to give.
    for (const id of this.#probation.keys()) {
      if (this.size <= this.#capacity) return;
      this.#probation.delete(id);
    }
  }
}

/** A remembered device from its text (a fresh object graph each time: callers may keep or change it). */
function revive(text: string): RememberedDevice {
  const [websocket, mqtt] = JSON.parse(text) as [JsonObject | null, JsonObject | null];
  return { websocket, mqtt };
}
