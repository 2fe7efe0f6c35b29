/**
 * The write-behind queue (docs/fleet.md "Store"): observations wait here until written, merged per device,
 * bounded by `max_pending`. Beyond the bound the oldest "seen" updates are dropped first and attempt events
 * last; drops are counted. A failed write puts its batch back under newer updates.
 */
import type { DeviceEvent } from './device-fold.js';
import { mergeSeen, type Batch, type SeenUpdate } from './observations.js';

export interface Dropped {
  readonly seen: number;
  readonly events: readonly DeviceEvent[];
}

export class PendingQueue {
  /** One merged update per device. */
  #seen = new Map<string, SeenUpdate>();
  /**
   * Devices in age order (a merged update keeps its place: its oldest part decides). Kept apart from the
   * map because iterating a Map from its start walks over every entry deleted so far: taking chunks off
   * a large queue would cost more with every chunk. Ids no longer in the map are skipped once.
   */
  #order: string[] = [];
  #orderHead = 0;
  #events: DeviceEvent[] = [];
  #eventsHead = 0;
  #max: number;
  #droppedSeen = 0;
  #droppedEvents = 0;

  constructor(maxPending: number) {
    this.#max = maxPending;
  }

  /** Observations waiting (merged "seen" rows plus events). */
  get size(): number {
    return this.#seen.size + this.#events.length - this.#eventsHead;
  }

  get dropped(): { readonly seen: number; readonly events: number } {
    return { seen: this.#droppedSeen, events: this.#droppedEvents };
  }

  addSeen(update: SeenUpdate): Dropped {
    const prior = this.#seen.get(update.device);
    if (prior === undefined) this.#order.push(update.device);
    this.#seen.set(update.device, prior === undefined ? update : mergeSeen(prior, update));
    return this.#bound();
  }

  /** The oldest queued "seen" update, removed. */
  #shiftSeen(): SeenUpdate | undefined {
    while (this.#orderHead < this.#order.length) {
      const device = this.#order[this.#orderHead] as string;
      this.#orderHead += 1;
      const update = this.#seen.get(device);
      if (update !== undefined) {
        this.#seen.delete(device);
        return update;
      }
    }
    return undefined;
  }

  addEvent(event: DeviceEvent): Dropped {
    this.#events.push(event);
    return this.#bound();
  }

  /** Takes up to `max` observations for one write, oldest first ("seen" rows, then events). */
  take(max: number): Batch {
    const seen: SeenUpdate[] = [];
    while (seen.length < max && this.#seen.size > 0) {
      const update = this.#shiftSeen();
      if (update === undefined) break;
      seen.push(update);
    }
    const room = Math.max(0, max - seen.length);
    const end = Math.min(this.#events.length, this.#eventsHead + room);
    const events = this.#events.slice(this.#eventsHead, end);
    this.#eventsHead = end;
    this.#compact();
    return { seen, events };
  }

  /** A batch whose write failed goes back: older than anything queued since. */
  restore(batch: Batch): Dropped {
    const seen = new Map<string, SeenUpdate>();
    for (const update of batch.seen) seen.set(update.device, update);
    for (const [device, update] of this.#seen) {
      const older = seen.get(device);
      seen.set(device, older === undefined ? update : mergeSeen(older, update));
    }
    // Re-insert in age order: the restored (older) rows first.
    this.#seen = seen;
    this.#order = [...seen.keys()];
    this.#orderHead = 0;
    this.#events = [...batch.events, ...this.#events.slice(this.#eventsHead)];
    this.#eventsHead = 0;
    return this.#bound();
  }

  #bound(): Dropped {
    let seen = 0;
    const events: DeviceEvent[] = [];
    while (this.size > this.#max && this.#seen.size > 0) {
      if (this.#shiftSeen() === undefined) break;
      seen += 1;
    }
    while (this.size > this.#max) {
      const event = this.#events[this.#eventsHead];
      if (event === undefined) break;
      events.push(event);
      this.#eventsHead += 1;
    }
    this.#compact();
    this.#droppedSeen += seen;
    this.#droppedEvents += events.length;
    return { seen, events };
  }

  #compact(): void {
    if (this.#eventsHead > 1024 && this.#eventsHead * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#eventsHead);
      this.#eventsHead = 0;
    }
    if (this.#orderHead > 1024 && this.#orderHead * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#orderHead);
      this.#orderHead = 0;
    }
  }
}
