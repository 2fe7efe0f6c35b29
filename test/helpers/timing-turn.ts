/**
 * Tests that measure latency under a load they make themselves (a pipelining flood, 1 MiB upstream
 * replies) take turns: the runner starts two test files at once, and two of these side by side on a small
 * machine measure each other's load rather than the proxy. A lock folder in the OS temp dir, taken with an
 * atomic `mkdir`; its holder removes it, and one older than `STALE_MS` (a holder that crashed) is taken over.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK = join(tmpdir(), 'xiaozhi-ota-proxy-timing-turn');
const STALE_MS = 120_000;

/** Waits for the turn; resolves with the function that ends it. */
export async function takeTimingTurn(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Removed meanwhile: try again.
      }
      await sleep(100);
    }
  }
}
