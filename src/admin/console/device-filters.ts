/**
 * The Devices page's filter form: the same parameters as `GET /admin/api/devices` (docs/fleet.md
 * "Interfaces"), read and checked by the same parser (operations/device-query.ts) — this module only keeps
 * what the form shows and builds its links.
 */

export { SORTS, STATES } from '../../operations/device-query.js';
export const LIMITS = [50, 100, 200, 500] as const;
export const SEEN_WITHIN = [3600, 86_400, 604_800] as const;

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

/** The filters as the form shows them ('' for unset). */
export type DeviceFilterForm = { readonly [K in (typeof FILTER_NAMES)[number]]: string };

/** The form's values, and the parameters for the service: the set ones, and the cursor. */
export function readDeviceFilters(query: (name: string) => string | undefined): {
  form: DeviceFilterForm;
  params: Record<string, string>;
} {
  const form = Object.fromEntries(
    FILTER_NAMES.map((name) => [name, (query(name) ?? '').trim().slice(0, 200)]),
  ) as DeviceFilterForm;
  const params: Record<string, string> = {};
  for (const name of FILTER_NAMES) if (form[name] !== '') params[name] = form[name];
  const cursor = query('cursor');
  if (cursor !== undefined && cursor !== '') params.cursor = cursor.slice(0, 500);
  return { form, params };
}

/** The query string of a filter form, plus a cursor. */
export function filterQuery(form: DeviceFilterForm, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) if (form[name] !== '') params.set(name, form[name]);
  if (cursor !== null) params.set('cursor', cursor);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
