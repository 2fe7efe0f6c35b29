/**
 * OTA checks per minute over the last hours, for the console's Overview: a ring of per-minute counters fed
 * by every answered exchange. It counts this replica's checks since it started (each replica keeps its
 * own; docs/console.md "Overview").
 */

/** How many minutes are kept (and drawn). */
export const CHECK_RATE_MINUTES = 6 * 60;

export class CheckRate {
  readonly #counts = new Uint32Array(CHECK_RATE_MINUTES);
  /** The minute (ms since the epoch / 60 000) the newest slot holds. */
  #minute = -1;

  /** One check answered at `at` (ms). */
  count(at: number): void {
    const minute = Math.floor(at / 60_000);
    this.#advance(minute);
    if (minute <= this.#minute - CHECK_RATE_MINUTES) return;
    const slot = ((minute % CHECK_RATE_MINUTES) + CHECK_RATE_MINUTES) % CHECK_RATE_MINUTES;
    this.#counts[slot] = (this.#counts[slot] ?? 0) + 1;
  }

  /** The last `CHECK_RATE_MINUTES` minutes up to `now`, oldest first (`{ minute, checks }`, minute in ms). */
  series(now: number): { readonly at: number; readonly checks: number }[] {
    const minute = Math.floor(now / 60_000);
    this.#advance(minute);
    const out: { at: number; checks: number }[] = [];
    for (let m = minute - CHECK_RATE_MINUTES + 1; m <= minute; m++) {
      const slot = ((m % CHECK_RATE_MINUTES) + CHECK_RATE_MINUTES) % CHECK_RATE_MINUTES;
      out.push({ at: m * 60_000, checks: this.#counts[slot] ?? 0 });
    }
    return out;
  }

  /** Moves the ring forward to `minute`, clearing the slots of the minutes skipped. */
  #advance(minute: number): void {
    if (minute <= this.#minute) return;
    const steps = this.#minute < 0 ? CHECK_RATE_MINUTES : Math.min(minute - this.#minute, CHECK_RATE_MINUTES);
    for (let i = 0; i < steps; i++) {
      const m = minute - i;
      this.#counts[((m % CHECK_RATE_MINUTES) + CHECK_RATE_MINUTES) % CHECK_RATE_MINUTES] = 0;
    }
    this.#minute = minute;
  }
}
