/**
 * Reads one HTTP/1.1 response from raw socket bytes, as a device does: the header block byte for byte
 * (casing kept), then a body framed by `Content-Length`, by chunks, or by the connection closing. The
 * framing itself is reported, because devices care about it (device-contract.md §2).
 */

export type BodyFraming = 'content-length' | 'chunked' | 'close';

export interface RawResponse {
  readonly status: number;
  readonly statusLine: string;
  /** Header pairs as sent: names keep their casing, order kept, repeats kept. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly framing: BodyFraming;
  /** The body after de-chunking (identical to the wire bytes for the other framings). */
  readonly body: Buffer;
  /** Bytes of the whole response on the wire: status line, headers, framing and body. */
  readonly wireBytes: number;
}

export type ReadState =
  | { readonly kind: 'more' }
  | { readonly kind: 'complete'; readonly response: RawResponse }
  | { readonly kind: 'malformed'; readonly reason: string };

export interface ResponseReader {
  /** Feeds bytes as they arrive; `complete` once the body is whole by its framing. */
  push(chunk: Buffer): ReadState;
  /** The peer closed: completes a close-framed body, otherwise the response was cut short. */
  end(): ReadState;
}

interface Head {
  readonly status: number;
  readonly statusLine: string;
  readonly headers: [string, string][];
  readonly bytes: number;
  readonly framing: BodyFraming;
  /** Body bytes announced by Content-Length (0 for bodiless replies); -1 otherwise. */
  readonly expected: number;
}

const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
/** A header block longer than this is not a reply any device could read. */
const MAX_HEAD_BYTES = 64 * 1024;

/** A reader for one response; `headRequest` when the request was HEAD (no body follows). */
export function createResponseReader({
  headRequest = false,
}: { headRequest?: boolean } = {}): ResponseReader {
  /** Bytes not yet consumed: the head while it is incomplete, then (chunked only) the body's framing. */
  let pending: Buffer = Buffer.alloc(0);
  let head: Head | null = null;
  /** Body bytes so far, kept as chunks (concatenated once) for Content-Length and close framing. */
  const chunks: Buffer[] = [];
  let bodyBytes = 0;
  let finished: ReadState | null = null;

  const complete = (h: Head, body: Buffer, framingBytes: number): ReadState => {
    finished = {
      kind: 'complete',
      response: {
        status: h.status,
        statusLine: h.statusLine,
        headers: h.headers,
        framing: h.framing,
        body,
        wireBytes: h.bytes + framingBytes,
      },
    };
    return finished;
  };

  const takeBody = (h: Head, chunk: Buffer): ReadState => {
    switch (h.framing) {
      case 'content-length': {
        const need = h.expected - bodyBytes;
        const part = chunk.length > need ? chunk.subarray(0, need) : chunk;
        if (part.length > 0) chunks.push(part);
        bodyBytes += part.length;
        return bodyBytes >= h.expected
          ? complete(h, Buffer.concat(chunks, bodyBytes), h.expected)
          : { kind: 'more' };
      }
      case 'close':
        chunks.push(chunk);
        bodyBytes += chunk.length;
        return { kind: 'more' };
      case 'chunked':
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        return dechunk(h);
      default: {
        const never: never = h.framing;
        throw new Error(`unhandled framing ${String(never)}`);
      }
    }
  };

  /** De-chunks `pending` (everything after the head); `more` until the last chunk has arrived. */
  const dechunk = (h: Head): ReadState => {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = pending.indexOf('\r\n', at, 'latin1');
      if (lineEnd === -1) return { kind: 'more' };
      const sizeText = pending.subarray(at, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
      if (!/^[0-9a-fA-F]+$/.test(sizeText))
        return { kind: 'malformed', reason: `bad chunk size "${sizeText.slice(0, 20)}"` };
      const size = Number.parseInt(sizeText, 16);
      const dataStart = lineEnd + 2;
      if (size === 0) {
        // The last chunk, then optional trailer lines, then an empty line (RFC 9112 §7.1).
        let end: number;
        if (pending.length >= dataStart + 2 && pending[dataStart] === 0x0d && pending[dataStart + 1] === 0x0a)
          end = dataStart + 2;
        else {
          const trailersEnd = pending.indexOf(CRLF2, dataStart);
          if (trailersEnd === -1) return { kind: 'more' };
          end = trailersEnd + CRLF2.length;
        }
        return complete(h, Buffer.concat(parts), end);
      }
      if (pending.length < dataStart + size + 2) return { kind: 'more' };
      parts.push(pending.subarray(dataStart, dataStart + size));
      at = dataStart + size + 2;
    }
  };

  const parseHead = (): Head | ReadState => {
    const at = pending.indexOf(CRLF2);
    if (at === -1)
      return pending.length > MAX_HEAD_BYTES
        ? { kind: 'malformed', reason: 'header block too long' }
        : { kind: 'more' };
    const lines = pending.subarray(0, at).toString('latin1').split('\r\n');
    const statusLine = lines[0] ?? '';
    const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
    if (!match) return { kind: 'malformed', reason: `bad status line "${statusLine.slice(0, 60)}"` };
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return { kind: 'malformed', reason: `bad header line "${line.slice(0, 60)}"` };
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    const status = Number(match[1]);
    const bytes = at + CRLF2.length;
    const transfer = headers
      .filter(([k]) => k.toLowerCase() === 'transfer-encoding')
      .map(([, v]) => v.toLowerCase());
    const lengths = headers.filter(([k]) => k.toLowerCase() === 'content-length').map(([, v]) => v);
    const base = { status, statusLine, headers, bytes };
    if (headRequest || status === 204 || status === 304 || (status >= 100 && status < 200))
      return { ...base, framing: 'content-length', expected: 0 };
    if (transfer.some((v) => v.split(',').some((t) => t.trim() === 'chunked')))
      return { ...base, framing: 'chunked', expected: -1 };
    if (lengths.length > 0) {
      const first = lengths[0] ?? '';
      if (!/^\d+$/.test(first) || lengths.some((v) => v !== first))
        return { kind: 'malformed', reason: `bad Content-Length "${lengths.join(', ')}"` };
      return { ...base, framing: 'content-length', expected: Number(first) };
    }
    return { ...base, framing: 'close', expected: -1 };
  };

  return {
    push(chunk) {
      if (finished !== null) return finished;
      if (head !== null) return takeBody(head, chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const parsed = parseHead();
      if ('kind' in parsed) return parsed;
      head = parsed;
      const rest = pending.subarray(parsed.bytes);
      pending = Buffer.alloc(0);
      return rest.length > 0 || parsed.expected === 0 ? takeBody(parsed, rest) : { kind: 'more' };
    },
    end() {
      if (finished !== null) return finished;
      if (head === null)
        return {
          kind: 'malformed',
          reason:
            pending.length === 0
              ? 'connection closed before any byte'
              : 'connection closed inside the header block',
        };
      if (head.framing === 'close') return complete(head, Buffer.concat(chunks, bodyBytes), bodyBytes);
      return { kind: 'malformed', reason: 'connection closed before the body was complete' };
    },
  };
}

/** The value of the first header whose name matches case-insensitively. */
export function headerValue(response: Pick<RawResponse, 'headers'>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return response.headers.find(([k]) => k.toLowerCase() === lower)?.[1];
}
