/**
 * Follows the frame headers of one direction of a WebSocket byte stream (RFC 6455 §5.2) without
 * copying or altering it, to learn which side sent the first close frame and with which code. The
 * proxy stays a byte pipe; this only feeds its session log.
 */

/** What the scanner learnt from a close frame (RFC 6455 §5.5.1). */
export interface CloseFrameSeen {
  /** The status code, or `null` when the frame carried none (reported to peers as 1005). */
  readonly code: number | null;
}

/** The largest frame header: 2 bytes, 8 of extended length, 4 of mask (RFC 6455 §5.2). */
const MAX_HEADER_BYTES = 14;
const OPCODE_CLOSE = 0x8;

/** Scans one direction; `push` every chunk in order, then read `close` (stops after the first close frame). */
export class FrameScanner {
  #header = new Uint8Array(MAX_HEADER_BYTES);
  #have = 0;
  /** Header bytes needed for the frame being read; known once its first two bytes are in. */
  #need = 2;
  /** Payload bytes of the current frame still to skip. */
  #skip = 0;
  /** Inside a close frame's payload: the status code bytes collected so far. */
  #closeLeft = 0;
  #closeCode = 0;
  #closeMask: Uint8Array | null = null;
  #closeIndex = 0;
  #close: CloseFrameSeen | null = null;
  #lost = false;

  /** The first close frame seen, or `null`. */
  get close(): CloseFrameSeen | null {
    return this.#close;
  }

  /** True when the stream stopped looking like WebSocket frames (a length past 2^53); scanning stopped. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Feeds the next chunk; returns true when this chunk completed the first close frame's header and code. */
  push(chunk: Uint8Array): boolean {
    let i = 0;
    const end = chunk.length;
    while (i < end && this.#close === null && !this.#lost) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, end - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      if (this.#closeLeft > 0) {
        const byte = (chunk[i] ?? 0) ^ (this.#closeMask?.[this.#closeIndex % 4] ?? 0);
        this.#closeCode = (this.#closeCode << 8) | byte;
        this.#closeIndex += 1;
        this.#closeLeft -= 1;
        i += 1;
        if (this.#closeLeft === 0) {
          this.#close = { code: this.#closeCode };
          return true;
        }
        continue;
      }
      this.#header[this.#have] = chunk[i] ?? 0;
      this.#have += 1;
      i += 1;
      if (this.#have === 2) this.#need = headerSize(this.#header[1] ?? 0);
      if (this.#have === this.#need && this.#frameHeaderDone()) return true;
    }
    return false;
  }

  /** A whole header is in: start skipping its payload, or read a close frame's code. */
  #frameHeaderDone(): boolean {
    const h = this.#header;
    const opcode = (h[0] ?? 0) & 0x0f;
    const masked = ((h[1] ?? 0) & 0x80) !== 0;
    const len7 = (h[1] ?? 0) & 0x7f;
    let length: number;
    let at = 2;
    if (len7 === 126) {
      length = ((h[2] ?? 0) << 8) | (h[3] ?? 0);
      at = 4;
    } else if (len7 === 127) {
      const high = (((h[2] ?? 0) << 24) >>> 0) + ((h[3] ?? 0) << 16) + ((h[4] ?? 0) << 8) + (h[5] ?? 0);
      const low = (((h[6] ?? 0) << 24) >>> 0) + ((h[7] ?? 0) << 16) + ((h[8] ?? 0) << 8) + (h[9] ?? 0);
      // RFC 6455 §5.2: the most significant bit must be 0; beyond 2^53 we cannot follow the stream.
      if (high > 0x1fffff) {
        this.#lost = true;
        return false;
      }
      length = high * 0x1_0000_0000 + low;
      at = 10;
    } else {
      length = len7;
    }
    this.#have = 0;
    this.#need = 2;
    if (opcode !== OPCODE_CLOSE) {
      this.#skip = length;
      return false;
    }
    // A close frame's payload starts with a 2-byte code, or is empty (RFC 6455 §5.5.1); one byte is
    // invalid and carries no code either.
    if (length < 2) {
      this.#close = { code: null };
      return true;
    }
    this.#closeMask = masked ? h.slice(at, at + 4) : null;
    this.#closeLeft = 2;
    this.#closeCode = 0;
    this.#closeIndex = 0;
    return false;
  }
}

/** Header size from its second byte: extended length and mask key (RFC 6455 §5.2). */
function headerSize(second: number): number {
  const len7 = second & 0x7f;
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  return 2 + extended + ((second & 0x80) !== 0 ? 4 : 0);
}
