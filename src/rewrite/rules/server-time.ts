/**
 * Rule 4, `server_time` (docs/configuration.md "Rules, in order"): with a zone, `timestamp` is the proxy's clock in
 * milliseconds and `timezone_offset` the zone's offset in whole minutes at that instant (DST-aware); with
 * `offset_minutes` the same with a fixed offset; either creates the section when the upstream sent none.
 * `timezone: upstream` leaves the upstream's values to the guard. A `timeZone` name the upstream sent
 * (the Java upstream does; devices ignore it) is set to the configured zone, or removed with a fixed offset.
 */
import { zoneOffsetMinutes } from '../../device/time-zone.js';
import { firstMatching } from '../../match/when.js';
import { foldKey, isJsonObject, ownMember, setMember, withMember } from '../folded-json.js';
import { matchInputOf } from '../match-input.js';
import { defineRule, type JsonObject, type JsonValue } from '../types.js';

export const serverTime = defineRule({
  name: 'server_time',
  apply(body, ctx) {
    const item = firstMatching(ctx.config.serverTime, matchInputOf(ctx));
    if (item === null) return { body, applied: false };
    const { zone } = item;
    switch (zone.kind) {
      case 'upstream':
        return { body, applied: false };
      case 'zone': {
        let offset: number;
        try {
          offset = zoneOffsetMinutes(zone.name, ctx.now);
        } catch {
          // The config loader checks zones against the same Intl data; this only guards a runtime without it.
          return {
            body,
            applied: false,
            note: `time zone ${JSON.stringify(zone.name)} is unknown to this runtime: server_time left as sent`,
          };
        }
        return { body: withTime(body, { now: ctx.now, offset, zoneName: zone.name }), applied: true };
      }
      case 'fixed':
        return {
          body: withTime(body, { now: ctx.now, offset: zone.offsetMinutes, zoneName: null }),
          applied: true,
        };
      default: {
        const never: never = zone;
        return never;
      }
    }
  },
});

function withTime(
  body: JsonObject,
  { now, offset, zoneName }: { now: number; offset: number; zoneName: string | null },
): JsonObject {
  const current = ownMember(body, 'server_time');
  const timestamp = Math.round(now);
  // One new section, built in one pass: the two values set in their old places, or appended (as withMember).
  const section: JsonObject = {};
  let named = false;
  let timed = false;
  let offsetSet = false;
  if (isJsonObject(current)) {
    for (const key of Object.keys(current)) {
      if (key === 'timestamp') {
        setMember(section, key, timestamp);
        timed = true;
      } else if (key === 'timezone_offset') {
        setMember(section, key, offset);
        offsetSet = true;
      } else if (foldKey(key) !== 'timezone') {
        setMember(section, key, current[key] as JsonValue);
      } else if (zoneName !== null && !named) {
        // Only a name the upstream sent is replaced; none is added (devices ignore it: docs/device-contract.md §3).
        setMember(section, key, zoneName);
        named = true;
      }
    }
  }
  if (!timed) setMember(section, 'timestamp', timestamp);
  if (!offsetSet) setMember(section, 'timezone_offset', offset);
  return withMember(body, 'server_time', section);
}
