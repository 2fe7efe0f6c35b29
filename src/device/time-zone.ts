/**
 * UTC offsets in whole minutes east of UTC, the unit the device wants in `server_time.timezone_offset`
 * (docs/device-contract.md §3; docs/configuration.md "Rules, in order" step 4). Pure given its inputs: the instant comes in
 * as a parameter, never from the clock.
 */

/** One formatter per zone: building an Intl.DateTimeFormat is costly, and zones come from the config. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** zoneOffsetMinutes' last answer per zone. */
const lastOffsets = new Map<string, { second: number; offset: number }>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    // Throws RangeError for a zone the runtime's time-zone data does not know.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether the runtime knows the IANA zone (`Asia/Shanghai`, `Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's UTC offset at the instant `atMs` (ms since the epoch), DST included, rounded to whole minutes
 * (historical local mean times have seconds). Throws RangeError for an unknown zone or an invalid instant.
 */
export function zoneOffsetMinutes(zone: string, atMs: number): number {
  // The result depends on the instant's whole second only (formatToParts has no fractions): remember the
  // last one per zone, so that a busy second pays for formatToParts once, not once per check.
  const second = Math.floor(atMs / 1000);
  const cached = lastOffsets.get(zone);
  if (cached !== undefined && cached.second === second) return cached.offset;
  const offset = computeOffsetMinutes(zone, atMs);
  lastOffsets.set(zone, { second, offset });
  return offset;
}

function computeOffsetMinutes(zone: string, atMs: number): number {
  const parts = formatterFor(zone).formatToParts(new Date(atMs));
  const field = (type: Intl.DateTimeFormatPartTypes): number => {
    const part = parts.find((p) => p.type === type);
    return part === undefined ? 0 : Number(part.value);
  };
  // The wall-clock reading in that zone, taken as if it were UTC, minus the instant itself.
  const wall = new Date(0);
  wall.setUTCFullYear(field('year'), field('month') - 1, field('day'));
  wall.setUTCHours(field('hour'), field('minute'), field('second'), 0);
  const wholeSecondsMs = Math.floor(atMs / 1000) * 1000;
  return normalizeZero(Math.round((wall.getTime() - wholeSecondsMs) / 60000));
}

/** The process's own zone offset at `atMs` in minutes east of UTC (used when no zone is configured). */
export function localOffsetMinutes(atMs: number): number {
  // getTimezoneOffset counts minutes WEST of UTC; the device wants east (docs/device-contract.md §3).
  return normalizeZero(Math.round(-new Date(atMs).getTimezoneOffset()));
}

/** `-0` serialises as `0` but compares differently; never hand it out. */
function normalizeZero(n: number): number {
  return n === 0 ? 0 : n;
}
