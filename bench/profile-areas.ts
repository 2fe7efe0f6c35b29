/**
 * Where a check's CPU goes, by area of the proxy: every sample of a V8 CPU profile is charged to the
 * innermost frame on its stack that belongs to a known area (a source file of the proxy, a library, or one
 * of Node's HTTP modules), so time in `JSON.parse` called from the upstream verdict counts as parsing and
 * a socket write from the device reply as HTTP server. The samples' times are wall-clock intervals (on a
 * busy machine a descheduled process keeps accruing them), so each area's share of the sampled time is
 * applied to the CPU per check measured from /proc over the same run: µs of CPU per check by area.
 */
import { readFileSync } from 'node:fs';

/** The areas, in the order the report lists them. */
export const AREAS = [
  'HTTP server',
  'upstream client',
  'parsing',
  'rules',
  'guard',
  'catalog',
  'fallback memory',
  'records',
  'logging',
  'metrics',
  'fleet',
  'GC',
  'other',
] as const;

export type Area = (typeof AREAS)[number];

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Source files of the proxy (path under src/, or the bench's bare relay) and the area they belong to. */
const SOURCE_AREAS: readonly (readonly [RegExp, Area])[] = [
  [/^upstream\//, 'upstream client'],
  [/^gateway\/forwarded-headers\./, 'upstream client'],
  [/^(rewrite\/folded-json|gateway\/upstream-verdict|device\/identify|device\/request-facts)\./, 'parsing'],
  [/^http\/device-request\./, 'parsing'],
  [/^rewrite\/(guard|control-characters)\./, 'guard'],
  [/^(rewrite\/|gateway\/reply-table\.|match\/|device\/time-zone\.|config\/conditions\.)/, 'rules'],
  [/^(firmware\/|runtime\/catalog-store\.)/, 'catalog'],
  [/^fallback\//, 'fallback memory'],
  [/^(gateway\/(exchange-record|redact)|admin\/(exchanges|health|operator-app))\./, 'records'],
  [/^admin\/metrics\./, 'metrics'],
  [/^runtime\/logger\./, 'logging'],
  [/^fleet\/|^runtime\/fleet-runtime\./, 'fleet'],
  [/^http\//, 'HTTP server'],
];

/** The bare relay's functions (bench/bare-relay.ts), by name. */
const BARE_RELAY_AREAS: Readonly<Record<string, Area>> = {
  sendUpstream: 'upstream client',
  readUpstreamReply: 'upstream client',
  rewriteReply: 'parsing',
};

const SOURCE_PATH =
  /\/((?:admin|config|device|doctor|fallback|firmware|fleet|gateway|http|http-wire|i18n|match|rewrite|runtime|upstream|voice)\/[^/]+|bare-relay\.ts)$/;

/** Libraries and Node's own modules. */
function libraryArea(url: string): Area | null {
  if (
    /node_modules\/(pino|sonic-boom|thread-stream|fast-redact|pino-std-serializers|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)\//.test(
      url,
    )
  )
    return 'logging';
  if (/node_modules\/(prom-client|tdigest|bintrees)\//.test(url)) return 'metrics';
  // undici carries the proxy's buffered exchanges (src/upstream/exchange.ts).
  if (url === 'node:_http_client' || url === 'node:_http_agent' || /node_modules\/undici\//.test(url))
    return 'upstream client';
  if (url === 'node:_http_server' || url === 'node:_http_incoming') return 'HTTP server';
  return null;
}

function frameArea(frame: ProfileNode['callFrame']): Area | null {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    // JSON.parse and JSON.stringify (the bare relay's parsing; the proxy has its own parser).
    if (functionName === 'parse' || functionName === 'stringify') return 'parsing';
    return null;
  }
  const library = libraryArea(url);
  if (library !== null) return library;
  // Any build of the proxy (src/ under tsx, .tmp/bench-build/, a --proxy-cli or --baseline-cli folder): the
  // path from the proxy's own top-level folder on; and the bench's bare relay.
  const source = SOURCE_PATH.exec(url)?.[1];
  if (source === undefined) return null;
  if (source.startsWith('http/app.') && functionName === 'logExchange') return 'logging';
  if (source.startsWith('bare-relay.')) return BARE_RELAY_AREAS[functionName] ?? 'HTTP server';
  for (const [pattern, area] of SOURCE_AREAS) if (pattern.test(source)) return area;
  return null;
}

export interface AreaProfile {
  /** Each area's share of the sampled time (idle and the probe's own work excluded), 0–1. */
  readonly shares: Readonly<Record<Area, number>>;
  /** The shares applied to the measured CPU per check: µs per check by area. */
  readonly usPerCheck: Readonly<Record<Area, number>>;
  /** The measured CPU per check the shares were applied to. */
  readonly totalUsPerCheck: number;
  readonly samples: number;
}

/** Charges every sample of `file` to an area and spreads `cpuUsPerCheck` over the areas by their shares. */
export function profileByArea(file: string, cpuUsPerCheck: number): AreaProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const areaOf = areaResolver(byId, parent);
  const totals = Object.fromEntries(AREAS.map((a) => [a, 0])) as Record<Area, number>;
  profile.samples.forEach((id, i) => {
    const area = areaOf(id);
    if (area !== 'idle') totals[area] += profile.timeDeltas[i] ?? 0;
  });
  return spread(totals, cpuUsPerCheck, profile.samples.length);
}

interface HeapNode {
  readonly id: number;
  readonly callFrame: ProfileNode['callFrame'];
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

/**
 * The same for a sampling heap profile (bench/probe.mjs, collected objects included): each area's share
 * of the sampled bytes applied to the measured KiB allocated per check.
 */
export function heapByArea(file: string, kibPerCheck: number): AreaProfile {
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  const sizes: [number, number][] = [];
  const walk = (node: HeapNode): void => {
    byId.set(node.id, { id: node.id, callFrame: node.callFrame });
    sizes.push([node.id, node.selfSize]);
    for (const child of node.children) {
      parent.set(child.id, node.id);
      walk(child);
    }
  };
  walk(head);
  const areaOf = areaResolver(byId, parent);
  const totals = Object.fromEntries(AREAS.map((a) => [a, 0])) as Record<Area, number>;
  for (const [id, size] of sizes) {
    const area = areaOf(id);
    if (area !== 'idle') totals[area] += size;
  }
  return spread(totals, kibPerCheck, sizes.length);
}

/** Each node's area, found once: its own frame's, else its caller's. */
function areaResolver(
  byId: ReadonlyMap<number, ProfileNode>,
  parent: ReadonlyMap<number, number>,
): (id: number) => Area | 'idle' {
  const areaOf = new Map<number, Area | 'idle'>();
  const resolve = (id: number): Area | 'idle' => {
    const known = areaOf.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    let area: Area | 'idle';
    if (node === undefined) area = 'other';
    // The probe's own work (starting and stopping the profiler) is not the process's.
    else if (node.callFrame.functionName === '(idle)' || node.callFrame.url.endsWith('/bench/probe.mjs'))
      area = 'idle';
    else {
      const own = frameArea(node.callFrame);
      const up = parent.get(id);
      area = own ?? (up === undefined ? 'other' : resolve(up));
    }
    areaOf.set(id, area);
    return area;
  };
  return resolve;
}

function spread(totals: Record<Area, number>, measured: number, samples: number): AreaProfile {
  const sampled = Math.max(
    1,
    AREAS.reduce((sum, a) => sum + totals[a], 0),
  );
  const shares = Object.fromEntries(AREAS.map((a) => [a, totals[a] / sampled])) as Record<Area, number>;
  const usPerCheck = Object.fromEntries(AREAS.map((a) => [a, shares[a] * measured])) as Record<Area, number>;
  return { shares, usPerCheck, totalUsPerCheck: measured, samples };
}
