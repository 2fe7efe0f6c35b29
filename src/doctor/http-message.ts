/**
 * Reads an HTTP/1.1 response from its raw bytes, keeping what a device's client sees and Node's parser
 * hides: header names as spelled, repeated headers, the framing (Content-Length vs chunked) and the size
 * of the header block (device-contract.md §2). Pure; tolerant enough to describe a broken reply.
 */

export interface HttpResponse {
  readonly statusLine: string;
  readonly status: number;
  /** Raw pairs in wire order, names as spelled. */
  readonly headers: readonly (readonly [string, string])[];
  /** Bytes of the status line and header block, the blank line included. */
  readonly headBytes: number;
  /** The body bytes as sent (chunk framing included when chunked). */
  readonly rawBody: Buffer;
  /** The body after chunked decoding. */
  readonly body: Buffer;
  readonly chunked: boolean;
  /** Whether the body was complete by its own framing (Content-Length reached, last chunk seen, or the connection closed for an unframed body). */
  readonly complete: boolean;
}

export type ParseState =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly response: HttpResponse }
  | { readonly state: 'invalid'; readonly reason: string };

/**
 * Parses what has arrived so far; `ended` says the peer closed, which completes an unframed body and turns
 * a short body into an incomplete (`complete: false`) response rather than a wait.
 */
export function parseHttpResponse(raw: Buffer, { ended }: { ended: boolean }): ParseState {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0)
    return ended
      ? {
          state: 'invalid',
          reason:
            raw.length === 0
              ? 'the connection closed without a reply'
              : 'the reply has no complete header block',
        }
      : { state: 'incomplete' };
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/\d\.\d (\d{3})(?: |$)/.exec(statusLine);
  if (status === null)
    return {
      state: 'invalid',
      reason: `not an HTTP status line: ${JSON.stringify(statusLine.slice(0, 80))}`,
    };
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const code = Number(status[1]);
  const bodyBytes = raw.subarray(end + 4);
  const base = { statusLine, status: code, headers, headBytes: end + 4 };
  const transferEncoding = headerValues(headers, 'transfer-encoding').join(',').toLowerCase();
  const lengths = headerValues(headers, 'content-length');
  const noBody = code === 204 || code === 304 || (code >= 100 && code < 200);

  if (noBody)
    return complete({
      ...base,
      rawBody: Buffer.alloc(0),
      body: Buffer.alloc(0),
      chunked: false,
      complete: true,
    });
  if (transferEncoding.includes('chunked')) {
    const decoded = decodeChunked(bodyBytes);
    if (decoded.done)
      return complete({
        ...base,
        rawBody: bodyBytes.subarray(0, decoded.consumed),
        body: decoded.body,
        chunked: true,
        complete: true,
      });
    return ended
      ? complete({ ...base, rawBody: bodyBytes, body: decoded.body, chunked: true, complete: false })
      : { state: 'incomplete' };
  }
  if (lengths.length > 0) {
    const length = Number(lengths[0]);
    if (!/^\d+$/.test(lengths[0] ?? '') || lengths.some((l) => l !== lengths[0])) {
      return ended
        ? complete({ ...base, rawBody: bodyBytes, body: bodyBytes, chunked: false, complete: false })
        : { state: 'incomplete' };
    }
    if (bodyBytes.length >= length) {
      const body = bodyBytes.subarray(0, length);
      return complete({ ...base, rawBody: body, body, chunked: false, complete: true });
    }
    return ended
      ? complete({ ...base, rawBody: bodyBytes, body: bodyBytes, chunked: false, complete: false })
      : { state: 'incomplete' };
  }
  // No framing: the body runs to the close (RFC 9112 §6.3 rule 8).
  return ended
    ? complete({ ...base, rawBody: bodyBytes, body: bodyBytes, chunked: false, complete: true })
    : { state: 'incomplete' };
}

function complete(response: HttpResponse): ParseState {
  return { state: 'complete', response };
}

/** Every value of a header, by case-insensitive name. */
export function headerValues(headers: readonly (readonly [string, string])[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** Decodes a chunked body as far as it goes; `done` once the last chunk (and its trailers) arrived. */
export function decodeChunked(data: Buffer): { body: Buffer; done: boolean; consumed: number } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', pos);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(pos, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '', 16);
    if (!Number.isFinite(size) || size < 0) break;
    if (size === 0) {
      // Trailers end with an empty line.
      const trailersEnd = data.indexOf('\r\n\r\n', lineEnd);
      const direct = data.subarray(lineEnd + 2, lineEnd + 4).toString('latin1') === '\r\n';
      if (direct) return { body: Buffer.concat(parts), done: true, consumed: lineEnd + 4 };
      if (trailersEnd >= 0) return { body: Buffer.concat(parts), done: true, consumed: trailersEnd + 4 };
      break;
    }
    const start = lineEnd + 2;
    if (data.length < start + size + 2) {
      parts.push(data.subarray(start, Math.min(data.length, start + size)));
      break;
    }
    parts.push(data.subarray(start, start + size));
    pos = start + size + 2;
  }
  return { body: Buffer.concat(parts), done: false, consumed: data.length };
}
