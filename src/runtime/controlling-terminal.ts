/**
 * Whether the terminal the proxy was started from is still there (issue 12 §8). Closing the terminal
 * that runs `npm start` hangs it up: the kernel sends SIGHUP, and from then on the descriptor is no longer
 * a terminal (its ioctls fail with EIO, so `isatty` answers false). A SIGHUP while the terminal is still
 * there — or with no terminal at all, under systemd, Docker or Kubernetes — keeps its usual meaning:
 * reload the configuration.
 *
 * The terminal is asked, never read: reading stdin would stop a proxy started in the background
 * (`npm start &`) with SIGTTIN, and would swallow what the user types.
 */
export interface TerminalWatch {
  /** Whether the terminal has gone away (hung up) since the watch began. */
  gone(): boolean;
  stop(): void;
}

export interface TerminalWatchOptions {
  /** Whether the descriptor is still a terminal: `() => isatty(0)`. */
  readonly attached: () => boolean;
  /** Called once, when the terminal is found gone by the periodic look (a SIGHUP asks `gone()` itself). */
  readonly onGone: () => void;
  /** How often to look when no SIGHUP came (a hang-up the signal did not reach us for). */
  readonly intervalMs?: number;
}

export function watchTerminal({ attached, onGone, intervalMs = 1000 }: TerminalWatchOptions): TerminalWatch {
  let hungUp = false;
  const look = (): boolean => {
    if (!hungUp && !attached()) hungUp = true;
    return hungUp;
  };
  const timer = setInterval(() => {
    if (look()) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  // The look alone never keeps the process alive.
  timer.unref();
  return {
    gone: look,
    stop: () => clearInterval(timer),
  };
}
