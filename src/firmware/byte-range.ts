/**
 * `Range` and `If-Range` for /firmware downloads (RFC 9110 §14.1–§14.2, §13.1.5). Devices never send
 * them (docs/device-contract.md §5); browsers and download tools resuming a transfer do.
 */

/** What a `Range` header asks of a representation of a known size. */
export type ByteRange =
  /** No `Range` header: 200 with the whole file. */
  | { readonly kind: 'none' }
  /** One satisfiable range, inclusive bounds clamped to the size: 206. */
  | { readonly kind: 'single'; readonly start: number; readonly end: number }
  /** A valid range none of whose bytes exist: 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' }
  /** Malformed, another unit, or several ranges: served whole with 200, which RFC 9110 §14.2 allows. */
  | { readonly kind: 'ignored' };

const DIGITS = /^[0-9]+$/;

/** Parses a `Range` header value for a representation of `size` bytes. */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: 'none' };
  const eq = header.indexOf('=');
  if (eq === -1) return { kind: 'ignored' };
  // Range units are case-insensitive (RFC 9110 §14.1).
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'ignored' };
  // A list may hold empty elements, which a recipient skips (RFC 9110 §5.6.1.2).
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length !== 1) return { kind: 'ignored' };
  return parseSpec(specs[0] ?? '', size);
}

function parseSpec(spec: string, size: number): ByteRange {
  const dash = spec.indexOf('-');
  if (dash === -1) return { kind: 'ignored' };
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  if (first === '') {
    // suffix-range: the last N bytes; N = 0 or an empty file is unsatisfiable (RFC 9110 §14.1.1).
    if (!DIGITS.test(last)) return { kind: 'ignored' };
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'single', start: Math.max(0, size - suffix), end: size - 1 };
  }
  if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return { kind: 'ignored' };
  // Digit strings past 2^53 lose precision but keep their order, which is all the checks below need.
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (end < start) return { kind: 'ignored' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'single', start, end: Math.min(end, size - 1) };
}

/** The validators a response carries: the quoted strong `ETag` and the `Last-Modified` HTTP-date. */
export interface Validators {
  readonly etag: string;
  readonly lastModified: string;
}

/**
 * Whether `If-Range` lets the `Range` apply (RFC 9110 §13.1.5): absent, or a strong entity-tag equal to
 * ours, or an HTTP-date equal to our `Last-Modified`. A weak tag or anything else means "send it whole".
 */
export function ifRangeHolds(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return value === validators.etag;
  const when = Date.parse(value);
  const ours = Date.parse(validators.lastModified);
  return Number.isFinite(when) && Number.isFinite(ours) && when === ours;
}

/** `Content-Range` for a 206 (`bytes 0-99/1234`) or a 416 (`bytes *\/1234`). */
export function contentRange(
  range: { readonly start: number; readonly end: number } | null,
  size: number,
): string {
  return range === null ? `bytes */${size}` : `bytes ${range.start}-${range.end}/${size}`;
}
