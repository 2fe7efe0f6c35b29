/**
 * The inventory's filters as an operator writes them (`GET /admin/api/devices?board=…&limit=…`, `fleet ls
 * --board …`): read and checked once for the API, the console and the CLI. A parameter that cannot be
 * used is a 400 naming it, never silently ignored (docs/fleet.md "Interfaces").
 */
import type { DeviceListQuery } from '../fleet/service.js';
import type { DeviceSort } from '../fleet/store/types.js';
import type { AttemptState } from '../fleet/types.js';
import { badRequest } from './errors.js';

export const DEVICE_FILTERS = [
  'board',
  'version',
  'chip',
  'q',
  'seen_within',
  'state',
  'blocked',
  'sort',
  'limit',
  'cursor',
] as const;

/** The attempt states a listing can filter by, in the order an attempt passes them. */
export const STATES: readonly AttemptState[] = [
  'offered',
  'downloading',
  'downloaded',
  'installed',
  'failed',
  'silent',
  'superseded',
  'withdrawn',
];
export const SORTS: readonly DeviceSort[] = ['last_seen', 'id', 'version'];
export const MAX_PAGE = 500;

/** Reads the filters; unknown parameters are refused too (a typo must not list every device). */
export function parseDeviceQuery(params: Readonly<Record<string, string | undefined>>): DeviceListQuery {
  for (const name of Object.keys(params))
    if (!(DEVICE_FILTERS as readonly string[]).includes(name))
      throw badRequest(`unknown parameter \`${name}\`; the filters are ${DEVICE_FILTERS.join(', ')}`, name);
  const text = (name: string): string | undefined => {
    const value = params[name];
    if (value === undefined) return undefined;
    if (value.trim() === '') throw badRequest(`\`${name}\` is empty`, name);
    return value.trim();
  };
  const sort = text('sort');
  if (sort !== undefined && !(SORTS as readonly string[]).includes(sort))
    throw badRequest(`\`sort\` must be one of ${SORTS.join(', ')} (got "${sort}")`, 'sort');
  const state = text('state');
  if (state !== undefined && !(STATES as readonly string[]).includes(state))
    throw badRequest(`\`state\` must be one of ${STATES.join(', ')} (got "${state}")`, 'state');
  const blocked = text('blocked');
  if (blocked !== undefined && blocked !== 'true' && blocked !== 'false')
    throw badRequest(`\`blocked\` must be true or false (got "${blocked}")`, 'blocked');
  const limitText = text('limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE))
    throw badRequest(`\`limit\` must be a whole number from 1 to ${MAX_PAGE} (got "${limitText}")`, 'limit');
  const seenText = text('seen_within');
  const seenWithin = seenText === undefined ? undefined : Number(seenText);
  if (
    seenWithin !== undefined &&
    (!Number.isFinite(seenWithin) || seenWithin <= 0 || !/^[0-9.]+$/.test(seenText ?? ''))
  )
    throw badRequest(
      `\`seen_within\` must be a number of seconds above 0 (got "${seenText}")`,
      'seen_within',
    );
  const cursor = text('cursor');
  if (cursor !== undefined && !cursorFits(cursor, (sort ?? 'last_seen') as DeviceSort))
    throw badRequest(
      '`cursor` is not one this list gave out (or belongs to another `sort`); start again without it',
      'cursor',
    );
  return {
    board: text('board'),
    version: text('version'),
    chip: text('chip'),
    q: text('q'),
    seenWithin,
    state: state as AttemptState | undefined,
    blocked: blocked === undefined ? undefined : blocked === 'true',
    sort: sort as DeviceSort | undefined,
    limit,
    cursor: cursor ?? null,
  };
}

/** A page's `next` is base64url JSON `[sort, value, id]` (src/fleet/store/sql-store.ts). */
function cursorFits(cursor: string, sort: DeviceSort): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return false;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return (
      Array.isArray(parsed) && parsed.length === 3 && parsed[0] === sort && typeof parsed[2] === 'string'
    );
  } catch {
    return false;
  }
}
