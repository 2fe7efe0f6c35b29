/**
 * Whole HTTP replies written on a raw socket, where no ServerResponse exists: upgrade requests (the voice
 * proxy's 502/503/504 and re-framed non-101 answers, refused upgrades) and malformed requests (400/408/431).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export interface RawReplyOptions {
  /** Sent only with a non-empty body; `text/plain` when not given. */
  readonly contentType?: string | undefined;
  readonly body?: Uint8Array | string | undefined;
  /** The `Date` header's instant; now when not given. */
  readonly date?: Date;
}

/**
 * The bytes of a complete reply: status line, `Content-Type` (with a body), `Content-Length`, `Date`,
 * `Connection: close`, and nothing else (docs/configuration.md "Framing and paths").
 */
export function formatRawReply(
  status: number,
  { contentType, body, date = new Date() }: RawReplyOptions = {},
): Buffer {
  const payload =
    body === undefined
      ? Buffer.alloc(0)
      : typeof body === 'string'
        ? Buffer.from(body, 'utf8')
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`];
  if (payload.length > 0) lines.push(`Content-Type: ${headerValue(contentType) ?? 'text/plain'}`);
  // Spelled `Content-Length` exactly: device clients look the name up case-sensitively (docs/device-contract.md §2).
  lines.push(`Content-Length: ${payload.length}`, `Date: ${date.toUTCString()}`, 'Connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/**
 * Writes that reply and ends the socket's writable side. Returns false (and writes nothing) when the
 * socket can no longer be written.
 */
export function writeRawReply(socket: Duplex, status: number, options: RawReplyOptions = {}): boolean {
  if (socket.destroyed || !socket.writable) return false;
  socket.end(formatRawReply(status, options));
  return true;
}

/** An upstream's header value made safe to write: visible ASCII and blanks only; `undefined` when nothing is left. */
function headerValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Strips control bytes, so a value can never end the header block early.
  const clean = value.replace(/[^\t\x20-\x7e]/g, '').trim();
  return clean === '' ? undefined : clean;
}
