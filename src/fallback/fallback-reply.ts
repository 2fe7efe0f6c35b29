/**
 * The reply a device gets when the upstream cannot answer (docs/configuration.md "Fallback reply"): the proxy's clock,
 * the device's remembered transport run through the rule list again, the catalog's offer,
 * never `activation`. The caller passes the result through the device guard like any other reply.
 */
import { firstMatching } from '../match/when.js';
import { renderTemplate } from '../config/template.js';
import { localOffsetMinutes } from '../device/time-zone.js';
import { matchInputOf } from '../rewrite/match-input.js';
import { runRules } from '../rewrite/pipeline.js';
import { isWebsocketPresent } from '../rewrite/rules/websocket-url.js';
import type { JsonObject, RuleContext } from '../rewrite/types.js';
import type { RememberedDevice } from './device-memory.js';

export type FallbackBody =
  | { readonly kind: 'reply'; readonly body: JsonObject; readonly applied: readonly string[] }
  /** No transport can be named: a reply without one would push the device onto stale MQTT settings. */
  | { readonly kind: 'no-transport' };

/**
 * Builds the fallback body for one check. `lastUpstreamOffset` is the last `timezone_offset` the upstream
 * sent (used with `timezone: upstream`), else the process's local zone applies.
 */
export function buildFallbackBody(
  ctx: RuleContext,
  remembered: RememberedDevice | null,
  lastUpstreamOffset: number | null,
): FallbackBody {
  const input = matchInputOf(ctx);
  const body: JsonObject = {
    server_time: { timestamp: ctx.now, timezone_offset: lastUpstreamOffset ?? localOffsetMinutes(ctx.now) },
  };
  if (remembered?.websocket) {
    body.websocket = remembered.websocket;
  } else if (ctx.config.websocket) {
    const item = firstMatching(ctx.config.websocket, input);
    if (item) body.websocket = { url: renderTemplate(item.url, ctx.request.origin, 'ws') };
  }
  // The remembered mqtt is only there when the device's last good reply used MQTT; the strip_mqtt rule then
  // decides as it did for that reply: with `strip` it goes once a websocket section is present, and it
  // stays when there is none — the device keeps the transport it has rather than get a 502.
  if (remembered?.mqtt) body.mqtt = remembered.mqtt;

  // The same rule list as an upstream reply (rewrite/pipeline.ts), so the two paths cannot drift apart.
  const ruled = runRules(body, ctx);
  if (!namesTransport(ruled.body)) return { kind: 'no-transport' };
  return { kind: 'reply', body: ruled.body, applied: ['fallback', ...ruled.applied] };
}

/**
 * Whether a reply names a transport: a `websocket` with a `ws(s)://` url, or an `mqtt` object. The caller
 * asks again after the guard, which may drop an unusable remembered section (docs/configuration.md "Fallback reply").
 */
export function namesTransport(body: JsonObject): boolean {
  return isWebsocketPresent(body.websocket) || isObject(body.mqtt);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
