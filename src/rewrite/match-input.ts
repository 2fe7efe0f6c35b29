/** What `when:` conditions are matched against for one check (docs/configuration.md "Conditions"). */
import type { MatchInput } from '../match/types.js';
import type { RuleContext } from './types.js';

/** The request's and the device's facts as one `MatchInput`; unknown facts stay `null` and match no key. */
export function matchInputOf(ctx: Pick<RuleContext, 'device' | 'request'>): MatchInput {
  const { device, request } = ctx;
  return {
    address: request.address === '' ? null : request.address,
    host: request.host,
    build: device.build,
    boardType: device.boardType,
    deviceId: device.id,
    version: device.version,
  };
}
