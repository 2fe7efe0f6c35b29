/**
 * The one decoder for upstream bodies, buffered or relayed: the proxy asks for identity, but an upstream
 * (or a proxy in between) may compress anyway (docs/configuration.md "Framing and paths"). Output is
 * bounded, so a compression bomb never gets buffered whole.
 */
import zlib from 'node:zlib';
import { UpstreamError } from '../errors.js';

/** A `Content-Encoding` header as the decoder reads it: trimmed, lowercased, `identity` when absent. */
export function encodingOf(header: string | undefined): string {
  return header === undefined ? 'identity' : header.trim().toLowerCase();
}

/**
 * Decodes `raw` sent with `encoding` (from `encodingOf`): identity, gzip/x-gzip, deflate (zlib-wrapped or
 * raw), br. Throws an UpstreamError: `bad-encoding` for an unknown or corrupt encoding, `too-large` when the
 * decoded bytes would exceed `limit`.
 */
export function decodeBody(raw: Buffer, encoding: string, limit: number): Buffer {
  if (encoding === 'identity' || encoding === '') {
    if (raw.length > limit) throw new UpstreamError('too-large', `upstream body over ${limit} bytes`);
    return raw;
  }
  if (raw.length === 0) return raw;
  const options = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(raw, options);
      case 'deflate':
        // RFC 9110 §8.4.1.2 says zlib-wrapped; some servers send raw deflate under this name. A zlib header
        // has compression method 8 in its low nibble and a first 16-bit word divisible by 31 (RFC 1950 §2.2).
        return isZlibHeader(raw) ? zlib.inflateSync(raw, options) : zlib.inflateRawSync(raw, options);
      case 'br':
        return zlib.brotliDecompressSync(raw, options);
      default:
        throw new UpstreamError(
          'bad-encoding',
          `the upstream used an unknown Content-Encoding "${encoding}"`,
        );
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new UpstreamError('too-large', `decoded upstream body over ${limit} bytes`, { cause: error });
    throw new UpstreamError('bad-encoding', `cannot decode the ${encoding} upstream body`, { cause: error });
  }
}

/**
 * A buffered reply's chunks joined and decoded (`decodeBody`), or the `UpstreamError` that ends the
 * exchange instead (a decoder's own error becomes `bad-encoding`). Both upstream clients end a body here.
 */
export function decodeChunks(
  chunks: readonly Buffer[],
  size: number,
  encoding: string,
  limit: number,
): Buffer | UpstreamError {
  const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  try {
    return decodeBody(raw, encoding, limit);
  } catch (error) {
    return error instanceof UpstreamError
      ? error
      : new UpstreamError('bad-encoding', 'cannot decode the upstream reply', { cause: error });
  }
}

function isZlibHeader(raw: Buffer): boolean {
  const cmf = raw[0];
  const flg = raw[1];
  return cmf !== undefined && flg !== undefined && (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}
