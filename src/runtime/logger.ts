/**
 * The one root logger (docs/contributing.md §17): JSON lines by default, to a buffered standard output; on
 * a terminal (`log.pretty` `auto` with stdout a TTY, or `true`) one readable line per record
 * (src/runtime/terminal-log.ts). Secrets are redacted the same way in both: the terminal lines are made
 * from the JSON records.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';
import { terminalDestination } from './terminal-log.js';

/** Paths pino censors wherever a token or MQTT password could appear in a log record. */
export const REDACT_PATHS = [
  'headers.authorization',
  'req.headers.authorization',
  '*.token',
  '*.password',
  'websocket.token',
  'mqtt.password',
  'admin.token',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly pretty: 'auto' | boolean;
  /** Tests pass a stream to read the lines back. */
  readonly destination?: DestinationStream;
}

export function createLogger({ level, pretty, destination }: LoggerOptions): Logger {
  const options = {
    level,
    base: { name: 'xiaozhi-ota-proxy' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  const onTerminal = process.stdout.isTTY === true;
  // Colour only on a terminal that shows it (https://no-color.org, TERM=dumb).
  const colour = onTerminal && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  if (pretty === true || (pretty === 'auto' && onTerminal))
    return pino(options, terminalDestination(1, { colour }));
  return pino(options, bufferedStdout());
}

/** Bytes of lines collected before they are written in one go (one check's line at `info` is ~400). */
const LOG_BUFFER_BYTES = 4096;
/** The longest a line waits in the buffer. */
const LOG_FLUSH_MS = 100;

let stdout: (DestinationStream & { flush(cb?: () => void): void }) | null = null;

/**
 * Standard output with a small buffer: at `info` every OTA check writes a line, and one write(2) per line
 * cost more CPU than any other part of the check's logging. Lines are written synchronously, in order, once
 * 4 KiB have collected or 100 ms after the first one waiting; what is left is written when the process
 * exits (through process.exit, at the end of the event loop, and after an uncaught exception). One buffer
 * for the process, however many loggers are made.
 */
function bufferedStdout(): DestinationStream {
  if (stdout !== null) return stdout;
  const boom = pino.destination({ dest: 1, sync: true, minLength: LOG_BUFFER_BYTES });
  let timer: NodeJS.Timeout | null = null;
  const flushNow = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    boom.flushSync();
  };
  process.once('exit', flushNow);
  stdout = {
    write(line: string) {
      boom.write(line);
      if (timer === null) {
        timer = setTimeout(flushNow, LOG_FLUSH_MS);
        timer.unref();
      }
    },
    flush(cb?: () => void) {
      flushNow();
      cb?.();
    },
  };
  return stdout;
}
