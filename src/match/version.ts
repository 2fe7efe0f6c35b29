/**
 * Firmware versions as the device reads them (docs/device-contract.md §3, §6), and the `when.version`
 * constraints of docs/configuration.md "Conditions".
 */
import type { VersionComparator, VersionNumbers, VersionOp, VersionRange } from './types.js';
import { keepLast } from './keep-last.js';

const INT32_MAX = 2147483647;

/** Operators, longest first so `>=` is not read as `>` followed by `=1.0`. */
const OPS: readonly VersionOp[] = ['>=', '<=', '!=', '>', '<', '='];

/**
 * Reads a version the way the device does: split on `.`, each segment by its leading digits
 * (`std::stoi`, so `2.0.0-beta` is [2, 0, 0]). `null` when a segment does not start with a digit
 * (`v2`, `x`, empty) or overflows int32 — the device would throw there (docs/device-contract.md §6).
 */
export const parseVersionNumbers: (text: string) => VersionNumbers | null = keepLast(readVersionNumbers);

function readVersionNumbers(text: string): VersionNumbers | null {
  // Stricter than std::stoi on purpose: stoi would also skip leading blanks and accept a sign, and
  // the device's getline split ignores one trailing `.`; an unusual version counts as unknown here,
  // and an unknown version is never offered firmware (docs/configuration.md "The device, as the proxy reads it").
  const numbers: number[] = [];
  for (const segment of text.split('.')) {
    const digits = /^\d+/.exec(segment)?.[0];
    if (digits === undefined) return null;
    const value = Number(digits);
    if (value > INT32_MAX) return null;
    numbers.push(value);
  }
  return numbers;
}

/** `^\d+(\.\d+)*$` with every segment ≤ int32: the only version form safe to offer a device (docs/device-contract.md §3). */
export function isDottedIntegers(text: string): boolean {
  // One pass, no split: the guard asks this of every reply's firmware version.
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 46; // the end closes the last segment like a `.`
    if (code >= 48 && code <= 57) continue;
    if (code !== 46 || i === start) return false;
    // Up to nine digits always fit int32; a longer segment is read as Number reads it (leading zeros too).
    if (i - start >= 10 && Number(text.slice(start, i)) > INT32_MAX) return false;
    start = i + 1;
  }
  return true;
}

/** Segment by segment; on a tie the longer one is newer, as on the device (`1.10.0 > 1.9.0`, `1.0.0 > 1.0`). */
export function compareVersions(a: VersionNumbers, b: VersionNumbers): -1 | 0 | 1 {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (a.length === b.length) return 0;
  return a.length < b.length ? -1 : 1;
}

/**
 * Parses space-separated constraints (`>=1.6.0 <1.8.0`), ANDed; a bare version means `=`, and an
 * operator may stand apart from its version (`>= 2.0.0`). Returns what is wrong as a string.
 */
export function parseVersionRange(text: string): VersionRange | string {
  const tokens = text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  if (tokens.length === 0) return 'an empty version constraint';
  const comparators: VersionComparator[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i] ?? '';
    const op = OPS.find((o) => token.startsWith(o));
    let versionText = op === undefined ? token : token.slice(op.length);
    if (op !== undefined && versionText === '') {
      // `>= 2.0.0`: the operator written apart from its version.
      const next = tokens[i + 1];
      if (next === undefined) return `operator \`${op}\` without a version`;
      i++;
      token = `${op}${next}`;
      versionText = next;
    }
    if (OPS.some((o) => versionText.startsWith(o)) || /^[~^]/.test(versionText)) {
      return `\`${token}\` is not a constraint (use =, !=, <, <=, >, >=)`;
    }
    if (!isDottedIntegers(versionText)) {
      return `\`${versionText}\` is not a version of dotted integers such as 1.6.0`;
    }
    // isDottedIntegers guarantees the parse succeeds.
    const version = parseVersionNumbers(versionText) ?? [];
    comparators.push({ op: op ?? '=', version });
  }
  return { text: text.trim(), comparators };
}

/** Whether `version` meets every comparator of `range`. */
export function satisfiesRange(version: VersionNumbers, range: VersionRange): boolean {
  return range.comparators.every((c) => satisfiesComparator(version, c));
}

function satisfiesComparator(version: VersionNumbers, { op, version: bound }: VersionComparator): boolean {
  const order = compareVersions(version, bound);
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    default: {
      const never: never = op;
      return never;
    }
  }
}
