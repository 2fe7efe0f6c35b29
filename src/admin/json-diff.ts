/** A small structural JSON diff for `/admin/explain`: which members the proxy added, removed or changed. */
import type { JsonValue } from '../rewrite/types.js';

export interface DiffEntry {
  /** `websocket.url`, `server_time.timestamp`, `["odd key"]`; `(body)` for the whole value. */
  readonly path: string;
  readonly op: 'added' | 'removed' | 'changed';
  readonly before?: JsonValue;
  readonly after?: JsonValue;
}

/**
 * Differences from `before` to `after`, objects compared member by member (order ignored), arrays and
 * scalars as whole values. `undefined` means "absent".
 */
export function diffJson(
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  path = '',
): DiffEntry[] {
  const at = path === '' ? '(body)' : path;
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ path: at, op: 'added', after: after as JsonValue }];
  if (after === undefined) return [{ path: at, op: 'removed', before }];
  if (isObject(before) && isObject(after)) {
    const out: DiffEntry[] = [];
    for (const key of Object.keys(before)) {
      out.push(...diffJson(before[key], Object.hasOwn(after, key) ? after[key] : undefined, join(path, key)));
    }
    for (const key of Object.keys(after)) {
      if (!Object.hasOwn(before, key)) out.push(...diffJson(undefined, after[key], join(path, key)));
    }
    return out;
  }
  return sameJson(before, after) ? [] : [{ path: at, op: 'changed', before, after }];
}

/** Deep equality of two JSON values (object member order ignored). */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((v, i) => sameJson(v, b[i] as JsonValue))
    );
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k] as JsonValue, b[k] as JsonValue))
    );
  }
  return false;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (path === '') return part;
  return part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}
