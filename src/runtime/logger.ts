/**
 * The one root logger (docs/contributing.md §17): JSON lines by default; on a terminal (`log.pretty`
 * `auto` with stdout a TTY, or `true`) one readable line per record (src/runtime/terminal-log.ts).
 * Secrets are redacted the same way in both: the terminal lines are made from the JSON records.
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
  return pino(options);
}
