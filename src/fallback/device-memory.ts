/**
 * The last good transport sections per device, for the fallback reply (CONFIG.md "Which reply a device
 * gets"): the upstream's own sections, kept raw, least recently seen dropped first.
 */
import type { JsonObject } from '../rewrite/types.js';

export interface RememberedDevice {
  /** The upstream's own last good `websocket` section, before any rule ran. */
  readonly websocket: JsonObject | null;
  /** The upstream's raw `mqtt` section, when the reply the device last got used MQTT. */
  readonly mqtt: JsonObject | null;
}

/** A bounded LRU keyed by device id; a Map keeps insertion order, so re-inserting marks "recently seen". */
export class DeviceMemory {
  #capacity: number;
  readonly #devices = new Map<string, RememberedDevice>();

  constructor(capacity: number) {
    this.#capacity = Math.max(0, capacity);
  }

  get size(): number {
    return this.#devices.size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Changing the capacity (config reload) evicts the oldest entries at once. */
  resize(capacity: number): void {
    this.#capacity = Math.max(0, capacity);
    this.#evict();
  }

  remember(deviceId: string, entry: RememberedDevice): void {
    if (this.#capacity === 0) return;
    this.#devices.delete(deviceId);
    this.#devices.set(deviceId, entry);
    this.#evict();
  }

  recall(deviceId: string | null): RememberedDevice | null {
    if (deviceId === null) return null;
    const entry = this.#devices.get(deviceId);
    if (entry === undefined) return null;
    this.#devices.delete(deviceId);
    this.#devices.set(deviceId, entry);
    return entry;
  }

  /** Reads without marking the device recently seen (/admin/explain changes no state). */
  peek(deviceId: string | null): RememberedDevice | null {
    return deviceId === null ? null : (this.#devices.get(deviceId) ?? null);
  }

  #evict(): void {
    for (const oldest of this.#devices.keys()) {
      if (this.#devices.size <= this.#capacity) break;
      this.#devices.delete(oldest);
    }
  }
}
