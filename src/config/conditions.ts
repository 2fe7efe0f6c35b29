/** `when:` blocks of the configuration (CONFIG.md "Conditions: `when:` lists"), compiled to Condition. */
import type { Cidr, Condition, Glob, VersionRange } from '../match/types.js';
import { parseCidr } from '../match/cidr.js';
import { compileGlob } from '../match/glob.js';
import { normalizeMac } from '../match/mac.js';
import { parseVersionRange } from '../match/version.js';
import type { Field, YamlReader } from './yaml-source.js';

export const CONDITION_KEYS = ['source', 'host', 'board', 'devices', 'version'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads one key of a condition: a single value or a non-empty list of them, each through `read`.
 * `undefined` when any member is invalid (its issue recorded).
 */
function readMembers<T>(r: YamlReader, field: Field, read: (item: Field) => T | undefined): T[] | undefined {
  const items = r.list(field, { single: true });
  if (items === undefined) return undefined;
  const values = items.map(read);
  return values.every((v): v is T => v !== undefined) ? values : undefined;
}

function readCidr(r: YamlReader, field: Field): Cidr | undefined {
  return r.parse(field, 'a CIDR block such as 192.168.1.0/24 or fd00::/8, or a single address', (text) => {
    const cidr = parseCidr(text);
    return cidr === null ? null : { value: cidr };
  });
}

function readGlob(r: YamlReader, field: Field, what: string): Glob | undefined {
  const text = r.string(field, { nonEmpty: true, expected: `a ${what} or a glob with * and ?` });
  return text === undefined ? undefined : compileGlob(text);
}

function readMac(r: YamlReader, field: Field): string | undefined {
  // `112233445566` unquoted is a YAML number: the text as written is the MAC.
  const { node } = field;
  const written =
    node?.kind === 'scalar' && typeof node.value === 'number' ? normalizeMac(node.source) : null;
  if (written !== null) return written;
  return r.parse(field, 'a MAC address such as aa:bb:cc:dd:ee:ff', (text) => {
    const mac = normalizeMac(text);
    return mac === null ? null : { value: mac };
  });
}

function readRange(r: YamlReader, field: Field): VersionRange | undefined {
  // A number here is refused by r.string with a hint to quote it: YAML reads 1.10 as 1.1 (CONFIG.md "The file").
  const text = r.string(field, { expected: 'a quoted version constraint such as ">=1.6.0 <1.8.0"' });
  if (text === undefined) return undefined;
  const range = parseVersionRange(text);
  if (typeof range === 'string') {
    r.fail(field, 'a version constraint such as ">=1.6.0 <1.8.0"', range);
    return undefined;
  }
  return range;
}

/** Reads a `when:` block; absent or `null` is the empty condition (matches every device). */
export function readCondition(r: YamlReader, field: Field): Condition | undefined {
  const view = r.object(field, CONDITION_KEYS);
  if (view === undefined) return undefined;
  const issuesBefore = r.issues.length;
  const cond: Mutable<Condition> = {};
  if (view.has('source')) {
    const source = readMembers(r, view.get('source'), (f) => readCidr(r, f));
    if (source !== undefined) cond.source = source;
  }
  if (view.has('host')) {
    const host = readMembers(r, view.get('host'), (f) => readGlob(r, f, 'host name'));
    if (host !== undefined) cond.host = host;
  }
  if (view.has('board')) {
    const board = readMembers(r, view.get('board'), (f) => readGlob(r, f, 'board name'));
    if (board !== undefined) cond.board = board;
  }
  if (view.has('devices')) {
    const devices = readMembers(r, view.get('devices'), (f) => readMac(r, f));
    if (devices !== undefined) cond.devices = devices;
  }
  if (view.has('version')) {
    const version = readMembers(r, view.get('version'), (f) => readRange(r, f));
    if (version !== undefined) cond.version = version;
  }
  return r.issues.length === issuesBefore ? cond : undefined;
}

/** Whether a condition has no keys, i.e. matches every device. */
export function isCatchAll(cond: Condition): boolean {
  return Object.keys(cond).length === 0;
}
