/**
 * The one root logger (docs/contributing.md §17): JSON lines by default; pretty on a TTY when `pino-pretty` is
 * installed (an optional, dev-time dependency: production images run without it). Secrets are redacted.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';

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
  const wantPretty = pretty === true || (pretty === 'auto' && process.stdout.isTTY === true);
  if (wantPretty && prettyInstalled()) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  const logger = pino(options);
  if (pretty === true) logger.warn('log.pretty is true but pino-pretty is not installed: writing JSON lines');
  return logger;
}

function prettyInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
