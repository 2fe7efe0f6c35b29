/** Compiled matchers used by `when:` conditions and the catalog. Built once at config load. */

/** An address block; `bytes` is 4 (IPv4) or 16 (IPv6) long. IPv4-mapped IPv6 is stored as IPv4. */
export interface Cidr {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** A case-insensitive glob (`*`, `?`). */
export interface Glob {
  readonly text: string;
  readonly regex: RegExp;
}

export type VersionOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** Segments read by their leading digits, as the device does (`2.0.0-beta` → [2, 0, 0]). */
export type VersionNumbers = readonly number[];

export interface VersionComparator {
  readonly op: VersionOp;
  readonly version: VersionNumbers;
}

/** Space-separated comparators, ANDed: `">=1.6.0 <1.8.0"`. */
export interface VersionRange {
  readonly text: string;
  readonly comparators: readonly VersionComparator[];
}

/** A `when:` block: keys ANDed, list members ORed; an absent key always matches. */
export interface Condition {
  readonly source?: readonly Cidr[];
  readonly host?: readonly Glob[];
  readonly board?: readonly Glob[];
  /** Lowercase, colon-separated MACs. */
  readonly devices?: readonly string[];
  readonly version?: readonly VersionRange[];
}

/** What a condition is matched against; `null` = unknown, and a key whose input is unknown does not match. */
export interface MatchInput {
  /** The device's address (unmapped IPv4 where IPv4-mapped). */
  readonly address: string | null;
  /** The host the request named, without port, lowercase. */
  readonly host: string | null;
  readonly build: string | null;
  readonly boardType: string | null;
  readonly deviceId: string | null;
  readonly version: string | null;
}
