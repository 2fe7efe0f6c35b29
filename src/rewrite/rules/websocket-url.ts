/**
 * Rule 2, `websocket` (docs/configuration.md "Rules, in order"): the first matching item's `url` replaces the URL of a
 * present section, keeping `token`, `version` and every other member (docs/device-contract.md §3: never alter
 * the token). With no section present and `mqtt` resolving to `strip`, the section is created as `{url}`,
 * plus `token` only when the item sets one — the Python upstream sends `mqtt` instead of `websocket` when
 * its MQTT gateway is on (docs/upstream.md).
 */
import { renderTemplate } from '../../config/template.js';
import { firstMatching } from '../../match/when.js';
import { hasControlOrWhitespace } from '../control-characters.js';
import { isJsonObject, ownMember, withMember, type DeviceKey } from '../folded-json.js';
import { matchInputOf } from '../match-input.js';
import { defineRule, type JsonObject, type JsonValue } from '../types.js';

const SECTION: DeviceKey = 'websocket';

/**
 * A websocket section is present when it is an object whose `url` is a `ws://` or `wss://` string without
 * control characters or whitespace (such a URL is unusable, like one that is not ws: docs/configuration.md "Fleet and
 * hardening amendments").
 */
export function isWebsocketPresent(section: JsonValue | undefined): section is JsonObject {
  if (!isJsonObject(section)) return false;
  const url = ownMember(section, 'url');
  return (
    typeof url === 'string' &&
    (url.startsWith('ws://') || url.startsWith('wss://')) &&
    !hasControlOrWhitespace(url)
  );
}

export const websocketUrl = defineRule({
  name: 'websocket',
  apply(body, ctx) {
    const items = ctx.config.websocket;
    if (items === null) return { body, applied: false };
    const input = matchInputOf(ctx);
    const item = firstMatching(items, input);
    if (item === null) return { body, applied: false, note: 'no websocket item matches this device' };
    const url = renderTemplate(item.url, ctx.request.origin, 'ws');

    const section = ownMember(body, SECTION);
    if (isWebsocketPresent(section)) {
      if (ownMember(section, 'url') === url) return { body, applied: false };
      return { body: withMember(body, SECTION, withMember(section, 'url', url)), applied: true };
    }
    // Same resolution as strip-mqtt's mqttModeFor (no matching item = keep), read here to keep the rules acyclic.
    const mqttMode = firstMatching(ctx.config.mqtt, input)?.mode ?? 'keep';
    if (mqttMode !== 'strip') {
      return {
        body,
        applied: false,
        note: 'the upstream sent no websocket section and mqtt is kept: none created',
      };
    }
    // A section is only created when mqtt is going away, so the device is never left without a transport.
    const created: JsonObject = item.token === null ? { url } : { url, token: item.token };
    return { body: withMember(body, SECTION, created), applied: true };
  },
});
