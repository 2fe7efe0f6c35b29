/**
 * Device requests for the resilience tests: the captured bread-compact-wifi/1.6.0 check with headers
 * dropped, replaced or added and the body swapped (Content-Length recomputed), as exact bytes.
 */
import { readCapture } from './captures.js';
import type { OracleDevice } from './device-contract.js';

export interface RequestEdit {
  /** Capture to start from (default `python-default-post`). */
  readonly capture?: string;
  readonly method?: string;
  readonly path?: string;
  /** Header names to remove (case-insensitive). */
  readonly drop?: readonly string[];
  /** Headers to set: replaces a header of that name, else appended before `Content-Length`. */
  readonly set?: readonly (readonly [string, string])[];
  readonly body?: Buffer | string;
}

/** The captured device's truth for the oracle: bread-compact-wifi running 1.6.0, Activation-Version 1. */
export const CAPTURED_DEVICE: OracleDevice = { version: '1.6.0', legacy: false };
/** The same device as firmware ≤ 1.5.9 sees it: no Activation-Version header. */
export const LEGACY_DEVICE: OracleDevice = { version: '1.6.0', legacy: true };

export function deviceCheck({
  capture = 'python-default-post',
  method,
  path,
  drop = [],
  set = [],
  body,
}: RequestEdit = {}): Buffer {
  const message = readCapture(capture, 'request');
  const [m, target, version] = message.startLine.split(' ');
  const payload =
    body === undefined ? message.body : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const dropped = new Set(drop.map((d) => d.toLowerCase()));
  const replaced = new Map(set.map(([k, v]) => [k.toLowerCase(), [k, v] as const]));
  const lines = [`${method ?? m} ${path ?? target} ${version}`];
  for (const [k, v] of message.headers) {
    const lower = k.toLowerCase();
    if (dropped.has(lower)) continue;
    if (lower === 'content-length') {
      for (const [name, value] of replaced.values()) lines.push(`${name}: ${value}`);
      replaced.clear();
      lines.push(`${k}: ${payload.length}`);
      continue;
    }
    const swap = replaced.get(lower);
    if (swap) {
      lines.push(`${swap[0]}: ${swap[1]}`);
      replaced.delete(lower);
    } else {
      lines.push(`${k}: ${v}`);
    }
  }
  for (const [name, value] of replaced.values()) lines.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/** Polls until `predicate` holds (log lines arrive after the reply is written). */
export async function eventually<T>(
  read: () => T | undefined | null | false,
  { timeoutMs = 3000, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
