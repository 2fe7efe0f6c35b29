/**
 * The passive circuit breaker (docs/configuration.md "Which reply a device gets"): `failures` consecutive upstream
 * failures open it; while open, checks are answered from the fallback at once; after `cooldownMs` exactly
 * one request goes upstream as a probe; its success closes the breaker, its failure restarts the cool-down.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What the caller may do with this request. */
export type BreakerPermit = 'pass' | 'probe' | 'reject';

export class CircuitBreaker {
  #failures: number;
  #cooldownMs: number;
  readonly #now: () => number;
  #consecutive = 0;
  #state: BreakerState = 'closed';
  #openedAt = 0;
  #probing = false;

  constructor({ failures, cooldownMs, now }: { failures: number; cooldownMs: number; now: () => number }) {
    this.#failures = failures;
    this.#cooldownMs = cooldownMs;
    this.#now = now;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Applies reloaded settings; the current state is kept. */
  configure({ failures, cooldownMs }: { failures: number; cooldownMs: number }): void {
    this.#failures = failures;
    this.#cooldownMs = cooldownMs;
  }

  permit(): BreakerPermit {
    if (this.#state === 'closed') return 'pass';
    if (this.#probing) return 'reject';
    if (this.#now() - this.#openedAt < this.#cooldownMs) return 'reject';
    this.#state = 'half-open';
    this.#probing = true;
    return 'probe';
  }

  /** Reports the outcome of a request that `permit()` let through. */
  record(outcome: 'success' | 'failure', permit: BreakerPermit): void {
    if (permit === 'reject') return;
    if (permit === 'probe') this.#probing = false;
    if (outcome === 'success') {
      // A late success from before the breaker opened does not close it; only the probe does.
      if (this.#state === 'closed' || permit === 'probe') {
        this.#state = 'closed';
        this.#consecutive = 0;
      }
      return;
    }
    if (permit === 'probe' || this.#state !== 'closed') {
      if (permit === 'probe') this.#open();
      return;
    }
    this.#consecutive += 1;
    if (this.#consecutive >= this.#failures) this.#open();
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#now();
    this.#consecutive = 0;
  }
}
