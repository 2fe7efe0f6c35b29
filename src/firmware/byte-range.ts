/**
 * `Range` and `If-Range` for /firmware downloads (RFC 9110 §14.1–§14.2, §13.1.5). Devices never send
 * them (device-contract.md §5); browsers and download tools resuming a transfer do.
 */
import { parse } from 'range-parser';

/** range-parser's result code bit for a malformed or reversed range (`bytes=abc`, `bytes=5-1`). */
const MALFORMED = 1;

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

/**
 * Parses a `Range` header value for a representation of `size` bytes: range-parser reads the syntax and
 * clamps the bounds; what to do with the result (one range, several, none satisfiable) is decided here.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: 'none' };
  const parsed = parse(size, header);
  // Range units are case-insensitive (RFC 9110 §14.1); range-parser lowercases them, whitespace aside.
  if (parsed.type.trim() !== 'bytes' || (parsed.code & MALFORMED) !== 0) return { kind: 'ignored' };
  // Several ranges would need multipart/byteranges: served whole instead, which RFC 9110 §14.2 allows.
  // Counted on the header, as range-parser drops the unsatisfiable ones; empty list elements are
  // skipped (RFC 9110 §5.6.1.2).
  const elements = header
    .slice(header.indexOf('=') + 1)
    .split(',')
    .filter((s) => s.trim() !== '');
  if (elements.length !== 1) return { kind: 'ignored' };
  const [range] = parsed.ranges;
  // No range left: it starts past the end, or is a suffix of an empty file (RFC 9110 §14.1.1).
  if (range === undefined) return { kind: 'unsatisfiable' };
  return { kind: 'single', start: range.start, end: range.end };
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
