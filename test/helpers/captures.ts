/**
 * The real upstream captures, read as exact bytes. Committed under test/fixtures/upstream-captures (copied
 * from the project's shared reference; its README says how each was made) so a fresh clone tests alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CAPTURES_DIR = fileURLToPath(new URL('../fixtures/upstream-captures/', import.meta.url));

export interface HttpMessage {
  /** `HTTP/1.1 200 OK` or `POST /xiaozhi/ota/ HTTP/1.1`. */
  readonly startLine: string;
  /** Raw header pairs, casing kept. */
  readonly headers: readonly [string, string][];
  /** The bytes after the blank line, as sent (chunked bodies stay chunked). */
  readonly body: Buffer;
  /** The whole message, byte for byte. */
  readonly raw: Buffer;
}

export function parseHttpMessage(raw: Buffer): HttpMessage {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end).toString('latin1');
  const [startLine = '', ...lines] = head.split('\r\n');
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  return { startLine, headers, body: raw.subarray(end + 4), raw };
}

export function readCapture(name: string, part: 'request' | 'response'): HttpMessage {
  return parseHttpMessage(readFileSync(`${CAPTURES_DIR}${name}.${part}.http`));
}

/** A captured device request, re-addressed: same bytes, `Host` and path as given. */
export function deviceRequest(name: string, { host, path }: { host?: string; path?: string } = {}): Buffer {
  const message = readCapture(name, 'request');
  const [method, target, version] = message.startLine.split(' ');
  const lines = [`${method} ${path ?? target} ${version}`];
  for (const [k, v] of message.headers) lines.push(`${k}: ${k.toLowerCase() === 'host' && host ? host : v}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), message.body]);
}

export function header(message: { headers: readonly [string, string][] }, name: string): string | undefined {
  return message.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}
