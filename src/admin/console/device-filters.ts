/**
 * The Devices page's query string, read into the fleet service's query: the same filters, sorting and
 * paging as `GET /admin/api/devices` (docs/fleet.md "Interfaces"), with the same names.
 */
import type { DeviceListQuery } from '../../fleet/service.js';
import type { AttemptState } from '../../fleet/types.js';
import type { DeviceSort } from '../../fleet/store/types.js';

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
export const LIMITS = [50, 100, 200, 500] as const;
export const SEEN_WITHIN = [3600, 86_400, 604_800] as const;

/** The filters as the form shows them (strings, '' for unset). */
export interface DeviceFilterForm {
  readonly q: string;
  readonly board: string;
  readonly version: string;
  readonly chip: string;
  readonly state: string;
  readonly blocked: string;
  readonly seen_within: string;
  readonly sort: string;
  readonly limit: string;
}

export const FILTER_NAMES = [
  'q',
  'board',
  'version',
  'chip',
  'state',
  'blocked',
  'seen_within',
  'sort',
  'limit',
] as const;

/** Reads the query; what is wrong comes back as `problem` (the page says it; the filter is ignored). */
export function readDeviceFilters(query: (name: string) => string | undefined): {
  form: DeviceFilterForm;
  list: DeviceListQuery;
  problem: string | null;
} {
  const raw = (name: string): string => (query(name) ?? '').trim().slice(0, 200);
  const form: DeviceFilterForm = {
    q: raw('q'),
    board: raw('board'),
    version: raw('version'),
    chip: raw('chip'),
    state: raw('state'),
    blocked: raw('blocked'),
    seen_within: raw('seen_within'),
    sort: raw('sort'),
    limit: raw('limit'),
  };
  const problems: string[] = [];
  const optional = (v: string): string | undefined => (v === '' ? undefined : v);
  let state: AttemptState | undefined;
  if (form.state !== '') {
    if ((STATES as readonly string[]).includes(form.state)) state = form.state as AttemptState;
    else problems.push(`state must be one of ${STATES.join(', ')}`);
  }
  let blocked: boolean | undefined;
  if (form.blocked === 'true' || form.blocked === 'false') blocked = form.blocked === 'true';
  else if (form.blocked !== '') problems.push('blocked must be true or false');
  let seenWithin: number | undefined;
  if (form.seen_within !== '') {
    const n = Number(form.seen_within);
    if (Number.isFinite(n) && n > 0) seenWithin = n;
    else problems.push('seen_within must be a number of seconds above 0');
  }
  let sort: DeviceSort | undefined;
  if (form.sort !== '') {
    if ((SORTS as readonly string[]).includes(form.sort)) sort = form.sort as DeviceSort;
    else problems.push(`sort must be one of ${SORTS.join(', ')}`);
  }
  let limit = 100;
  if (form.limit !== '') {
    const n = Number(form.limit);
    if (Number.isInteger(n) && n >= 1 && n <= 500) limit = n;
    else problems.push('limit must be a whole number from 1 to 500');
  }
  const cursor = query('cursor');
  return {
    form,
    list: {
      q: optional(form.q),
      board: optional(form.board),
      version: optional(form.version),
      chip: optional(form.chip),
      state,
      blocked,
      seenWithin,
      sort,
      limit,
      cursor: cursor === undefined || cursor === '' ? null : cursor.slice(0, 500),
    },
    problem: problems.length === 0 ? null : problems.join('; '),
  };
}

/** The query string of a filter form, plus a cursor. */
export function filterQuery(form: DeviceFilterForm, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) if (form[name] !== '') params.set(name, form[name]);
  if (cursor !== null) params.set('cursor', cursor);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
