/**
 * Rule 3, `mqtt: strip` (docs/configuration.md "Rules, in order"): deletes the `mqtt` key — never `null`, never `{}`,
 * since the device uses MQTT whenever `mqtt` is an object and v1.6.2–1.6.5 treat `null` as present — and
 * only when a `websocket` section is present, or the device would fall back to stale MQTT settings
 * (docs/device-contract.md §3).
 */
import type { MqttMode } from '../../config/types.js';
import { firstMatching } from '../../match/when.js';
import { ownMember, withoutMember } from '../folded-json.js';
import { matchInputOf } from '../match-input.js';
import { defineRule, type RuleContext } from '../types.js';
import { isWebsocketPresent } from './websocket-url.js';

/** The `mqtt` mode of the first matching item; `keep` when none matches (the upstream's reply stands). */
export function mqttModeFor(ctx: Pick<RuleContext, 'config' | 'device' | 'request'>): MqttMode {
  return firstMatching(ctx.config.mqtt, matchInputOf(ctx))?.mode ?? 'keep';
}

export const stripMqtt = defineRule({
  name: 'mqtt',
  apply(body, ctx) {
    if (!Object.hasOwn(body, 'mqtt') || mqttModeFor(ctx) !== 'strip') return { body, applied: false };
    if (!isWebsocketPresent(ownMember(body, 'websocket'))) {
      return { body, applied: false, note: 'mqtt kept: no websocket section to use instead' };
    }
    return { body: withoutMember(body, 'mqtt'), applied: true };
  },
});
