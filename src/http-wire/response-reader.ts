/**
 * Reads one HTTP/1.1 response from raw socket bytes, as a device's client does: the header block byte for
 * byte (names as spelled, order and repeats kept, all of which Node's parser hides), then a body framed by
 * `Content-Length`, by chunks or by the connection closing, the framing itself reported because devices
 * care about it (docs/device-contract.md §2). Incremental: bytes are pushed as they arrive, and a response
 * complete by its framing hands back the bytes after it, so a keep-alive connection can read on. A broken
 * reply still comes back as far as it was read, for a tool that has to describe it.
 */

/** How the body's end is known (RFC 9112 §6.3); `none` when the status or a HEAD request rules a body out. */
export type BodyFraming = 'content-length' | 'chunked' | 'close' | 'none';

export interface RawResponse {
  readonly status: number;
  readonly statusLine: string;
  /** Header pairs as sent: names keep their casing, order kept, repeats kept. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly framing: BodyFraming;
  /** The body after de-chunking (the wire bytes themselves for the other framings). */
  readonly body: Buffer;
  /** Bytes of the status line and header block, the blank line included. */
  readonly headBytes: number;
  /** Bytes of the whole response on the wire: head, body and its chunk framing. */
  readonly wireBytes: number;
}

export type ReadState =
  | { readonly kind: 'more' }
  /** Whole by its framing; `rest` is what followed it on the connection (the next response's bytes). */
  | { readonly kind: 'complete'; readonly response: RawResponse; readonly rest: Buffer }
  /**
   * Not a response a client can use: `reason` says why; `partial` is the response as far as it was read
   * (its head was readable), `null` when not even a status line came.
   */
  | { readonly kind: 'malformed'; readonly reason: string; readonly partial: RawResponse | null };

export interface ResponseReader {
  /** Feeds bytes as they arrive; once `complete` or `malformed`, later calls return the same state. */
  push(chunk: Buffer): ReadState;
  /** The peer closed: completes a close-framed body; any other response was cut short. */
  end(): ReadState;
}

interface Head {
  readonly status: number;
  readonly statusLine: string;
  readonly headers: [string, string][];
  readonly bytes: number;
  readonly framing: BodyFraming;
  /** Body bytes announced by Content-Length; 0 unless framing is `content-length`. */
  readonly expected: number;
  /** Why no client could read on past this head (a header line without a name, a bad Content-Length). */
  readonly defect: string | null;
}

/** Where a chunked body's reader stands (RFC 9112 §7.1). */
type ChunkPhase =
  | { readonly kind: 'size-line' }
  | { readonly kind: 'data'; readonly left: number }
  | { readonly kind: 'data-end' }
  | { readonly kind: 'trailers' };

const CRLF = Buffer.from('\r\n', 'latin1');
const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
/** A header block longer than this is not a reply any device could read. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line (with extensions) longer than this is not one. */
const MAX_CHUNK_LINE_BYTES = 1024;

/** A reader for one response; `headRequest` when the request was HEAD (no body follows, RFC 9110 §9.3.2). */
export function createResponseReader({
  headRequest = false,
}: { headRequest?: boolean } = {}): ResponseReader {
  /** Bytes read but not yet consumed: the head while it is incomplete, then a chunked body's framing. */
  let pending: Buffer = EMPTY;
  let head: Head | null = null;
  /** Body bytes so far, kept as pieces and concatenated once. */
  const parts: Buffer[] = [];
  let bodyBytes = 0;
  /** Wire bytes of the body consumed so far, chunk framing included. */
  let bodyWireBytes = 0;
  let phase: ChunkPhase = { kind: 'size-line' };
  let finished: ReadState | null = null;

  const responseOf = (h: Head): RawResponse => ({
    status: h.status,
    statusLine: h.statusLine,
    headers: h.headers,
    framing: h.framing,
    body: Buffer.concat(parts, bodyBytes),
    headBytes: h.bytes,
    wireBytes: h.bytes + bodyWireBytes,
  });
  const complete = (h: Head, rest: Buffer): ReadState =>
    (finished = { kind: 'complete', response: responseOf(h), rest });
  const malformed = (reason: string, h: Head | null): ReadState =>
    (finished = { kind: 'malformed', reason, partial: h === null ? null : responseOf(h) });
  const keep = (piece: Buffer, wire: number): void => {
    if (piece.length > 0) parts.push(piece);
    bodyBytes += piece.length;
    bodyWireBytes += wire;
  };

  const takeBody = (h: Head, chunk: Buffer): ReadState => {
    switch (h.framing) {
      case 'none':
        return complete(h, chunk);
      case 'content-length': {
        const piece = chunk.subarray(0, h.expected - bodyBytes);
        keep(piece, piece.length);
        return bodyBytes === h.expected ? complete(h, chunk.subarray(piece.length)) : { kind: 'more' };
      }
      case 'close':
        keep(chunk, chunk.length);
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

  /** De-chunks as much of `pending` as has arrived, keeping what is left for the next push. */
  const dechunk = (h: Head): ReadState => {
    let at = 0;
    const consume = (to: number, piece: Buffer = EMPTY): void => {
      keep(piece, to - at);
      at = to;
    };
    const waitForMore = (): ReadState => {
      pending = pending.subarray(at);
      return { kind: 'more' };
    };
    for (;;) {
      switch (phase.kind) {
        case 'size-line': {
          const lineEnd = pending.indexOf(CRLF, at);
          if (lineEnd === -1)
            return pending.length - at > MAX_CHUNK_LINE_BYTES
              ? malformed('chunk-size line too long', h)
              : waitForMore();
          // Chunk extensions after `;` carry nothing a client needs (RFC 9112 §7.1.1).
          const sizeText = pending.subarray(at, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
          if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText))
            return malformed(`bad chunk size "${sizeText.slice(0, 20)}"`, h);
          const size = Number.parseInt(sizeText, 16);
          if (size === 0) {
            // The last chunk: trailer lines follow, then an empty line; keep the CRLF for that search.
            consume(lineEnd);
            phase = { kind: 'trailers' };
          } else {
            consume(lineEnd + CRLF.length);
            phase = { kind: 'data', left: size };
          }
          break;
        }
        case 'data': {
          const piece = pending.subarray(at, at + phase.left);
          consume(at + piece.length, piece);
          if (piece.length < phase.left) {
            phase = { kind: 'data', left: phase.left - piece.length };
            return waitForMore();
          }
          phase = { kind: 'data-end' };
          break;
        }
        case 'data-end':
          if (pending.length - at < CRLF.length) return waitForMore();
          if (!pending.subarray(at, at + CRLF.length).equals(CRLF))
            return malformed('chunk data not followed by CRLF', h);
          consume(at + CRLF.length);
          phase = { kind: 'size-line' };
          break;
        case 'trailers': {
          const end = pending.indexOf(CRLF2, at);
          if (end === -1) return waitForMore();
          consume(end + CRLF2.length);
          return complete(h, pending.subarray(at));
        }
        default: {
          const never: never = phase;
          throw new Error(`unhandled chunk phase ${String(never)}`);
        }
      }
    }
  };

  /** The head once its blank line has arrived; a state while it has not, or when it is no HTTP response. */
  const readHead = (): Head | ReadState => {
    const at = pending.indexOf(CRLF2);
    if (at === -1)
      return pending.length > MAX_HEAD_BYTES ? malformed('header block too long', null) : { kind: 'more' };
    const [statusLine = '', ...lines] = pending.subarray(0, at).toString('latin1').split('\r\n');
    const match = /^HTTP\/\d\.\d (\d{3})(?: .*)?$/.exec(statusLine);
    if (!match) return malformed(`not an HTTP status line: ${JSON.stringify(statusLine.slice(0, 60))}`, null);
    const headers: [string, string][] = [];
    let defect: string | null = null;
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
      else {
        headers.push([line, '']);
        defect ??= `bad header line ${JSON.stringify(line.slice(0, 60))}`;
      }
    }
    const status = Number(match[1]);
    const base = { status, statusLine, headers, bytes: at + CRLF2.length };
    if (headRequest || status === 204 || status === 304 || (status >= 100 && status < 200))
      return { ...base, framing: 'none', expected: 0, defect };
    const codings = headerValues(headers, 'transfer-encoding')
      .flatMap((v) => v.split(','))
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '');
    // Transfer-Encoding overrides Content-Length; without chunked last, the body runs to the close (RFC 9112 §6.3).
    if (codings.length > 0)
      return { ...base, framing: codings.at(-1) === 'chunked' ? 'chunked' : 'close', expected: 0, defect };
    const lengths = headerValues(headers, 'content-length');
    if (lengths.length === 0) return { ...base, framing: 'close', expected: 0, defect };
    const [first = ''] = lengths;
    if (!/^\d{1,15}$/.test(first) || lengths.some((v) => v !== first))
      defect ??= `bad Content-Length ${JSON.stringify(lengths.join(', '))}`;
    return { ...base, framing: 'content-length', expected: Number(first), defect };
  };

  return {
    push(chunk) {
      if (finished !== null) return finished;
      if (head !== null) return takeBody(head, chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const read = readHead();
      if ('kind' in read) return read;
      head = read;
      const rest = pending.subarray(read.bytes);
      pending = EMPTY;
      if (read.defect === null) return takeBody(read, rest);
      // A client cannot read on, but what came after the head is kept for describing the reply.
      keep(rest, rest.length);
      return malformed(read.defect, read);
    },
    end() {
      if (finished !== null) return finished;
      if (head === null)
        return malformed(
          pending.length === 0
            ? 'connection closed before any byte'
            : 'connection closed inside the header block',
          null,
        );
      if (head.framing === 'close') return complete(head, EMPTY);
      return malformed('connection closed before the body was complete', head);
    },
  };
}

/** Every value of a header, by case-insensitive name, in wire order. */
export function headerValues(headers: readonly (readonly [string, string])[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}
