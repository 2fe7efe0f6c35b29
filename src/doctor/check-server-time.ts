/**
 * The clock devices are given (device-contract.md §3): `timestamp` in milliseconds, `timezone_offset` in
 * whole minutes east of UTC. Seconds put the clock in 1970; an offset in hours or seconds is wrong by 60×;
 * the Java upstream's zone is often stuck on Asia/Shanghai (upstream.md pain §5).
 */
import type { TimeZoneSetting } from '../config/types.js';
import type { JsonObject } from '../rewrite/types.js';
import { finding, type Finding } from './findings.js';
import { member, section } from './reply-readout.js';

/** Below this a timestamp is in seconds (1e11 ms is 1973). */
const SECONDS_LIMIT = 1e11;
/** Real offsets lie within UTC−12:00 … UTC+14:00. */
const MAX_OFFSET_MINUTES = 14 * 60;
/** A clock further off than this is worth a word. */
const MAX_SKEW_MS = 2 * 60_000;

export interface ServerTimeInput {
  /** The upstream's body as sent (a `330.0` is only visible in the text). */
  readonly upstreamText: string | null;
  readonly upstream: JsonObject | null;
  readonly reply: JsonObject | null;
  /** The `server_time` setting that matches doctor's device; `null` when none matches. */
  readonly setting: TimeZoneSetting | null;
  /** This machine's clock and zone. */
  readonly now: number;
  readonly localOffsetMinutes: number;
  readonly localZone: string;
}

export function checkServerTime(input: ServerTimeInput): Finding[] {
  if (input.reply === null)
    return [
      finding(
        'server_time.timestamp',
        'server_time',
        'skip',
        'no OTA reply from the proxy to judge the clock by',
      ),
    ];
  const time = section(input.reply, 'server_time');
  if (time === null) {
    return [
      finding(
        'server_time.timestamp',
        'server_time',
        'warn',
        'devices get no server_time: they keep whatever clock they have',
        {
          fix: 'Set server_time.timezone (e.g. your IANA zone) or offset_minutes: the proxy then creates the section.',
        },
      ),
    ];
  }
  return [timestampFinding(input, time), offsetFinding(input, time)];
}

function timestampFinding(input: ServerTimeInput, time: JsonObject): Finding {
  const ts = member(time, 'timestamp');
  const upstreamTs = member(section(input.upstream, 'server_time'), 'timestamp');
  const repaired = typeof upstreamTs === 'number' && upstreamTs < SECONDS_LIMIT && upstreamTs > 0;
  const detail = repaired ? [`the upstream sent ${upstreamTs} (seconds); the guard sends milliseconds`] : [];
  if (typeof ts !== 'number' || !Number.isFinite(ts)) {
    return finding(
      'server_time.timestamp',
      'server_time',
      'warn',
      'devices get no usable timestamp: they keep whatever clock they have',
      { detail },
    );
  }
  if (ts < SECONDS_LIMIT) {
    return finding(
      'server_time.timestamp',
      'server_time',
      'fail',
      `timestamp ${ts} is in seconds: devices set their clock to 1970`,
      {
        detail,
        fix: 'The timestamp must be milliseconds.',
      },
    );
  }
  const skew = ts - input.now;
  if (Math.abs(skew) > MAX_SKEW_MS) {
    return finding(
      'server_time.timestamp',
      'server_time',
      'warn',
      `devices get a clock ${describeSkew(skew)} this machine's`,
      {
        detail: [...detail, `timestamp ${ts} = ${new Date(ts).toISOString()}`],
        fix: "Check the server's clock (NTP), or let the proxy send its own: server_time.timezone: <zone>.",
      },
    );
  }
  return finding(
    'server_time.timestamp',
    'server_time',
    'pass',
    `timestamp in milliseconds, within ${Math.round(Math.abs(skew) / 1000)} s of this machine`,
    { detail },
  );
}

function offsetFinding(input: ServerTimeInput, time: JsonObject): Finding {
  const offset = member(time, 'timezone_offset');
  const detail: string[] = [];
  const floatText =
    input.upstreamText === null
      ? null
      : /"timezone_offset"\s*:\s*(-?\d+\.\d+(?:[eE][-+]?\d+)?)/.exec(input.upstreamText)?.[1];
  if (floatText !== undefined && floatText !== null) {
    detail.push(
      `the upstream sent it as the JSON number ${floatText}; devices read its whole part, and the proxy writes whole minutes`,
    );
  }
  if (typeof offset !== 'number' || !Number.isFinite(offset)) {
    return finding(
      'server_time.offset',
      'server_time',
      'warn',
      'devices get no timezone_offset: they show UTC',
      {
        detail,
        fix: 'Set server_time.timezone: <your IANA zone> (or offset_minutes).',
      },
    );
  }
  if (!Number.isInteger(offset)) {
    return finding(
      'server_time.offset',
      'server_time',
      'fail',
      `timezone_offset ${offset} is not whole minutes`,
      { detail },
    );
  }
  if (Math.abs(offset) > MAX_OFFSET_MINUTES) {
    return finding(
      'server_time.offset',
      'server_time',
      'fail',
      `timezone_offset ${offset} is not minutes (${describeUnits(offset)})`,
      {
        detail,
        fix: 'Minutes east of UTC are expected; set server_time.timezone: <your IANA zone> to send the right value.',
      },
    );
  }
  if (offset % 15 !== 0) {
    return finding(
      'server_time.offset',
      'server_time',
      'fail',
      `timezone_offset ${offset} is no zone's offset in minutes${Math.abs(offset) <= 14 ? ` (hours? ${offset} h = ${offset * 60} min)` : ''}`,
      {
        detail,
        fix: 'Set server_time.timezone: <your IANA zone> to send the right value.',
      },
    );
  }
  const zone = `UTC${formatOffset(offset)}`;
  const setting = input.setting ?? { kind: 'upstream' };
  switch (setting.kind) {
    case 'zone':
      return finding(
        'server_time.offset',
        'server_time',
        'pass',
        `devices get ${zone} (server_time.timezone: ${setting.name})`,
        { detail },
      );
    case 'fixed':
      return finding(
        'server_time.offset',
        'server_time',
        'pass',
        `devices get ${zone} (server_time.offset_minutes: ${setting.offsetMinutes})`,
        { detail },
      );
    case 'upstream':
      if (offset !== input.localOffsetMinutes) {
        return finding(
          'server_time.offset',
          'server_time',
          'warn',
          `devices get ${zone} from the upstream, but this machine runs at UTC${formatOffset(input.localOffsetMinutes)} (${input.localZone})`,
          {
            detail: [
              ...detail,
              'The Java server takes its zone from the JVM (often stuck on Asia/Shanghai, +08:00); the Python one from server.timezone_offset.',
            ],
            fix: `If devices should show local time: server_time.timezone: ${input.localZone}`,
          },
        );
      }
      return finding(
        'server_time.offset',
        'server_time',
        'pass',
        `devices get ${zone}, this machine's zone`,
        { detail },
      );
    default: {
      const never: never = setting;
      throw new Error(`unhandled zone ${String(never)}`);
    }
  }
}

/** `+05:30`, `-03:00`, `+00:00`. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function describeUnits(offset: number): string {
  if (offset % 3600 === 0 || Math.abs(offset) >= 3600) return `seconds? ${offset} s = ${offset / 60} min`;
  return 'out of range';
}

function describeSkew(skewMs: number): string {
  const minutes = Math.round(Math.abs(skewMs) / 60_000);
  const amount =
    minutes >= 2 * 24 * 60
      ? `${Math.round(minutes / 1440)} days`
      : minutes >= 120
        ? `${Math.round(minutes / 60)} hours`
        : `${minutes} minutes`;
  return `${amount} ${skewMs < 0 ? 'behind' : 'ahead of'}`;
}
