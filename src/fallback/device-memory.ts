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

/** Two LRU segments keyed by device id (`Segment`: least recently seen first out). */
export class DeviceMemory {
  #capacity: number;
  /** Seen once. */
  readonly #probation = new Segment<RememberedDevice>();
  /** Seen again. */
  readonly #protected = new Segment<RememberedDevice>();

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
    while (this.#protected.size > protectedRoom) {
      const oldest = this.#protected.shift();
      if (oldest === undefined) break;
      this.#probation.set(oldest[0], oldest[1]);
    }
    // The protected segment alone never exceeds the capacity, so probation always has the room to give.
    while (this.size > this.#capacity && this.#probation.shift() !== undefined);
  }
}

/**
 * One LRU segment whose least recently seen key is found in O(1), amortized. A Map alone finds its oldest
 * key by iterating from the front, and V8 steps over every entry deleted since it last rebuilt the table
 * first: evicting one device per new device that way cost 3.8 µs at 10,000 devices and 17 µs at 100,000
 * (every check of a boot storm is a new device). Here the order is a queue of (id, sequence) records; a
 * record whose id was seen again since (or deleted) is stale and skipped when it reaches the front.
 */
class Segment<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly seq: number }>();
  #ids: string[] = [];
  #seqs: number[] = [];
  #head = 0;
  #seq = 0;

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): V | undefined {
    return this.#entries.get(id)?.value;
  }

  /** Adds `id`, or replaces it, as the most recently seen. */
  set(id: string, value: V): void {
    this.#seq += 1;
    this.#entries.set(id, { value, seq: this.#seq });
    this.#ids.push(id);
    this.#seqs.push(this.#seq);
    // Stale records pile up when the same devices are seen again and again: drop them now and then.
    if (this.#ids.length - this.#head > 2 * this.#entries.size + 1024) this.#compact();
  }

  delete(id: string): boolean {
    return this.#entries.delete(id);
  }

  /** Removes and returns the least recently seen, or `undefined` when empty. */
  shift(): [string, V] | undefined {
    while (this.#head < this.#ids.length) {
      const id = this.#ids[this.#head] as string;
      const seq = this.#seqs[this.#head] as number;
      this.#head += 1;
      const entry = this.#entries.get(id);
      if (entry === undefined || entry.seq !== seq) continue;
      this.#entries.delete(id);
      if (this.#head > 1024 && this.#head * 2 > this.#ids.length) this.#compact();
      return [id, entry.value];
    }
    return undefined;
  }

  /** Keeps only the live records, in order. */
  #compact(): void {
    const ids: string[] = [];
    const seqs: number[] = [];
    for (let i = this.#head; i < this.#ids.length; i++) {
      const id = this.#ids[i] as string;
      const seq = this.#seqs[i] as number;
      if (this.#entries.get(id)?.seq === seq) {
        ids.push(id);
        seqs.push(seq);
      }
    }
    this.#ids = ids;
    this.#seqs = seqs;
    this.#head = 0;
  }
}
