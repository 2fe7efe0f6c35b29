/**
 * The clock devices are given (docs/device-contract.md §3): `timestamp` in milliseconds, `timezone_offset` in
 * whole minutes east of UTC. Seconds put the clock in 1970; an offset in hours or seconds is wrong by 60×;
 * the Java upstream's zone is often stuck on Asia/Shanghai (docs/upstream.md pain §5).
 */
import type { TimeZoneSetting } from '../config/types.js';
import type { Translate } from '../i18n/translate.js';
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
  readonly t: Translate;
}

export function checkServerTime(input: ServerTimeInput): Finding[] {
  const { t } = input;
  if (input.reply === null)
    return [finding('server_time.timestamp', 'server_time', 'skip', t('doctor.server_time.no-reply'))];
  const time = section(input.reply, 'server_time');
  if (time === null) {
    return [
      finding('server_time.timestamp', 'server_time', 'warn', t('doctor.server_time.absent'), {
        fix: t('doctor.server_time.absent.fix'),
      }),
    ];
  }
  return [timestampFinding(input, time), offsetFinding(input, time)];
}

function timestampFinding(input: ServerTimeInput, time: JsonObject): Finding {
  const { t } = input;
  const ts = member(time, 'timestamp');
  const upstreamTs = member(section(input.upstream, 'server_time'), 'timestamp');
  const repaired = typeof upstreamTs === 'number' && upstreamTs < SECONDS_LIMIT && upstreamTs > 0;
  const detail = repaired ? [t('doctor.server_time.seconds-repaired', { timestamp: upstreamTs })] : [];
  if (typeof ts !== 'number' || !Number.isFinite(ts)) {
    return finding('server_time.timestamp', 'server_time', 'warn', t('doctor.server_time.no-timestamp'), {
      detail,
    });
  }
  if (ts < SECONDS_LIMIT) {
    return finding(
      'server_time.timestamp',
      'server_time',
      'fail',
      t('doctor.server_time.seconds', { timestamp: ts }),
      {
        detail,
        fix: t('doctor.server_time.seconds.fix'),
      },
    );
  }
  const skew = ts - input.now;
  if (Math.abs(skew) > MAX_SKEW_MS) {
    const amount = describeSkew(skew, t);
    return finding(
      'server_time.timestamp',
      'server_time',
      'warn',
      skew < 0 ? t('doctor.server_time.behind', { amount }) : t('doctor.server_time.ahead', { amount }),
      {
        detail: [...detail, `timestamp ${ts} = ${new Date(ts).toISOString()}`],
        fix: t('doctor.server_time.skew.fix'),
      },
    );
  }
  return finding(
    'server_time.timestamp',
    'server_time',
    'pass',
    t('doctor.server_time.in-step', { seconds: Math.round(Math.abs(skew) / 1000) }),
    { detail },
  );
}

function offsetFinding(input: ServerTimeInput, time: JsonObject): Finding {
  const { t } = input;
  const offset = member(time, 'timezone_offset');
  const detail: string[] = [];
  const floatText =
    input.upstreamText === null
      ? null
      : /"timezone_offset"\s*:\s*(-?\d+\.\d+(?:[eE][-+]?\d+)?)/.exec(input.upstreamText)?.[1];
  if (floatText !== undefined && floatText !== null) {
    detail.push(t('doctor.server_time.float-offset', { text: floatText }));
  }
  if (typeof offset !== 'number' || !Number.isFinite(offset)) {
    return finding('server_time.offset', 'server_time', 'warn', t('doctor.server_time.no-offset'), {
      detail,
      fix: t('doctor.server_time.no-offset.fix'),
    });
  }
  if (!Number.isInteger(offset)) {
    return finding(
      'server_time.offset',
      'server_time',
      'fail',
      t('doctor.server_time.fraction', { offset }),
      {
        detail,
      },
    );
  }
  if (Math.abs(offset) > MAX_OFFSET_MINUTES) {
    return finding(
      'server_time.offset',
      'server_time',
      'fail',
      t('doctor.server_time.not-minutes', { offset, units: describeUnits(offset, t) }),
      {
        detail,
        fix: t('doctor.server_time.not-minutes.fix'),
      },
    );
  }
  if (offset % 15 !== 0) {
    return finding(
      'server_time.offset',
      'server_time',
      'fail',
      Math.abs(offset) <= 14
        ? t('doctor.server_time.no-zone.hours', { offset, minutes: offset * 60 })
        : t('doctor.server_time.no-zone', { offset }),
      {
        detail,
        fix: t('doctor.server_time.no-zone.fix'),
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
        t('doctor.server_time.zone', { zone, name: setting.name }),
        { detail },
      );
    case 'fixed':
      return finding(
        'server_time.offset',
        'server_time',
        'pass',
        t('doctor.server_time.fixed', { zone, minutes: setting.offsetMinutes }),
        { detail },
      );
    case 'upstream':
      if (offset !== input.localOffsetMinutes) {
        return finding(
          'server_time.offset',
          'server_time',
          'warn',
          t('doctor.server_time.upstream-differs', {
            zone,
            local: `UTC${formatOffset(input.localOffsetMinutes)}`,
            localZone: input.localZone,
          }),
          {
            detail: [...detail, t('doctor.server_time.upstream-differs.detail')],
            fix: t('doctor.server_time.upstream-differs.fix', { zone: input.localZone }),
          },
        );
      }
      return finding('server_time.offset', 'server_time', 'pass', t('doctor.server_time.local', { zone }), {
        detail,
      });
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

function describeUnits(offset: number, t: Translate): string {
  if (offset % 3600 === 0 || Math.abs(offset) >= 3600)
    return t('doctor.server_time.not-minutes.seconds', { offset, minutes: offset / 60 });
  return t('doctor.server_time.not-minutes.out-of-range');
}

function describeSkew(skewMs: number, t: Translate): string {
  const minutes = Math.round(Math.abs(skewMs) / 60_000);
  return minutes >= 2 * 24 * 60
    ? t('doctor.server_time.days', { n: Math.round(minutes / 1440) })
    : minutes >= 120
      ? t('doctor.server_time.hours', { n: Math.round(minutes / 60) })
      : t('doctor.server_time.minutes', { n: minutes });
}
