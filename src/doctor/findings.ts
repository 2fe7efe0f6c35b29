/** What doctor reports: one finding per check, each with a stable id, a status and what to do about it. */

/** `fail`: something that would stop a device; `warn`: works, but worth a look; `info`/`skip`: context. */
export type FindingStatus = 'pass' | 'warn' | 'fail' | 'info' | 'skip';

/** The report's sections, in the order they are printed. */
export type FindingArea =
  'config' | 'upstream' | 'proxy' | 'websocket' | 'mqtt' | 'server_time' | 'firmware' | 'catalog';

export const AREA_ORDER: readonly FindingArea[] = [
  'config',
  'upstream',
  'proxy',
  'websocket',
  'mqtt',
  'server_time',
  'firmware',
  'catalog',
];

export interface Finding {
  /** Stable, e.g. `upstream.reachable`, `websocket.url`, `catalog.entry[0]`; tests and `--json` readers key on it. */
  readonly id: string;
  readonly area: FindingArea;
  readonly status: FindingStatus;
  /** One line. */
  readonly title: string;
  /** Further lines: what was seen. */
  readonly detail?: readonly string[];
  /** What to change, when something should change. */
  readonly fix?: string;
}

/** Builds a finding, leaving out empty `detail` and `fix` (exactOptionalPropertyTypes). */
export function finding(
  id: string,
  area: FindingArea,
  status: FindingStatus,
  title: string,
  { detail = [], fix }: { detail?: readonly string[]; fix?: string | undefined } = {},
): Finding {
  return {
    id,
    area,
    status,
    title,
    ...(detail.length > 0 ? { detail } : {}),
    ...(fix === undefined ? {} : { fix }),
  };
}

export interface FindingCounts {
  readonly pass: number;
  readonly warn: number;
  readonly fail: number;
  readonly info: number;
  readonly skip: number;
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  const counts = { pass: 0, warn: 0, fail: 0, info: 0, skip: 0 };
  for (const f of findings) counts[f.status] += 1;
  return counts;
}
