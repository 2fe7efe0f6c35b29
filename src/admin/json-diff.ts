/** A structural JSON diff for `/admin/explain`: which members the proxy added, removed or changed. */
import diff from 'microdiff';
import type { JsonValue } from '../rewrite/types.js';

export interface DiffEntry {
  /** `websocket.url`, `server_time.timestamp`, `["odd key"]`; `(body)` for the whole value. */
  readonly path: string;
  readonly op: 'added' | 'removed' | 'changed';
  readonly before?: JsonValue;
  readonly after?: JsonValue;
}

type JsonObject = { [key: string]: JsonValue };

/**
 * Differences from `before` to `after`, objects compared member by member (order ignored), arrays and
 * scalars as whole values. `undefined` means "absent".
 */
export function diffJson(before: JsonValue | undefined, after: JsonValue | undefined): DiffEntry[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ path: '(body)', op: 'added', after: after as JsonValue }];
  if (after === undefined) return [{ path: '(body)', op: 'removed', before }];
  if (!isObject(before) || !isObject(after)) {
    return sameJson(before, after) ? [] : [{ path: '(body)', op: 'changed', before, after }];
  }
  const out: DiffEntry[] = [];
  const arraysSeen = new Set<string>();
  for (const change of diff(ownMembersOnly(before) as JsonObject, ownMembersOnly(after) as JsonObject)) {
    // microdiff walks into arrays (numeric steps); explain shows an array as one whole value.
    const arrayAt = change.path.findIndex((step) => typeof step === 'number');
    const keys = (arrayAt === -1 ? change.path : change.path.slice(0, arrayAt)).map(String);
    const path = pathText(keys);
    if (arrayAt !== -1) {
      if (arraysSeen.has(path)) continue;
      arraysSeen.add(path);
    }
    const op = arrayAt !== -1 ? 'changed' : OPS[change.type];
    out.push({
      path,
      op,
      ...(op !== 'added' && { before: memberAt(before, keys) }),
      ...(op !== 'removed' && { after: memberAt(after, keys) }),
    });
  }
  return out;
}

const OPS = { CREATE: 'added', REMOVE: 'removed', CHANGE: 'changed' } as const;

function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  return diff(ownMembersOnly(a) as JsonObject, ownMembersOnly(b) as JsonObject).length === 0;
}

/**
 * A copy whose objects have no prototype: microdiff tests membership with `in`, which would find
 * `constructor` or `toString` on every plain object, and upstream JSON may carry such keys (and an own
 * `__proto__`, kept as data by rewrite/folded-json.ts).
 */
function ownMembersOnly(value: JsonValue): unknown {
  if (Array.isArray(value)) return value.map(ownMembersOnly);
  if (!isObject(value)) return value;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, { value: ownMembersOnly(value[key] as JsonValue), enumerable: true });
  }
  return copy;
}

/** The member at `keys` (the diff found it there): the caller's value, not the copy. */
function memberAt(root: JsonValue, keys: readonly string[]): JsonValue {
  let value = root;
  for (const key of keys) value = (value as JsonObject)[key] as JsonValue;
  return value;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathText(keys: readonly string[]): string {
  let path = '';
  for (const key of keys) {
    const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
    path = path === '' || part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
  }
  return path;
}
